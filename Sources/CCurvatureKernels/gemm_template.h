// Packed, cache-blocked SGEMM for one instruction set. Included by gemm.c once per ISA with
//   GEMM_SUFFIX   name suffix (avx512, avx2, base)
//   GEMM_TARGET   function attribute selecting the instruction set (may be empty)
//   GEMM_VW       SIMD lanes per vector; a micro-tile is GEMM_MR rows × 2·GEMM_VW columns
//   GEMM_MR       rows per micro-tile
// The computation per element of C does not depend on timing: blocking is a function of the
// shape only.

#define GEMM_CAT2(a, b) a##_##b
#define GEMM_CAT(a, b) GEMM_CAT2(a, b)
#define GEMM_NAME(x) GEMM_CAT(x, GEMM_SUFFIX)
#define GEMM_NR (2 * GEMM_VW)

typedef float GEMM_NAME(vec) __attribute__((ext_vector_type(GEMM_VW)));

/// tile[MR×NR] ← Σ_p ap[p, :]ᵀ bp[p, :] over kc steps (ap: kc×MR, bp: kc×NR, both packed).
static GEMM_TARGET void GEMM_NAME(micro)(long kc, const float *restrict ap,
                                          const float *restrict bp, float *restrict tile) {
  typedef GEMM_NAME(vec) vec;
  vec acc0[GEMM_MR];
  vec acc1[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) {
    acc0[r] = 0;
    acc1[r] = 0;
  }
  for (long p = 0; p < kc; p++) {
    vec b0 = *(const vec *)(bp + p * GEMM_NR);
    vec b1 = *(const vec *)(bp + p * GEMM_NR + GEMM_VW);
    const float *a = ap + p * GEMM_MR;
    for (int r = 0; r < GEMM_MR; r++) {
      float s = a[r];
      acc0[r] += s * b0;
      acc1[r] += s * b1;
    }
  }
  for (int r = 0; r < GEMM_MR; r++) {
    *(vec *)(tile + r * GEMM_NR) = acc0[r];
    *(vec *)(tile + r * GEMM_NR + GEMM_VW) = acc1[r];
  }
}

/// Like the full micro-kernel for a last sliver at most GEMM_VW columns wide: only the first
/// vector of each row is computed (columns GEMM_VW ..< GEMM_NR of the tile are left unset).
static GEMM_TARGET void GEMM_NAME(micro_narrow)(long kc, const float *restrict ap,
                                                 const float *restrict bp, float *restrict tile) {
  typedef GEMM_NAME(vec) vec;
  vec acc0[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) acc0[r] = 0;
  for (long p = 0; p < kc; p++) {
    vec b0 = *(const vec *)(bp + p * GEMM_NR);
    const float *a = ap + p * GEMM_MR;
    for (int r = 0; r < GEMM_MR; r++) acc0[r] += a[r] * b0;
  }
  for (int r = 0; r < GEMM_MR; r++) *(vec *)(tile + r * GEMM_NR) = acc0[r];
}

/// The narrow micro-kernel reading op(A) in place (element (r, p) at a[r·rs + p·ps]) instead
/// of from a packed sliver: when B has at most GEMM_VW columns, packing A would cost as much as
/// the multiply itself.
static GEMM_TARGET void GEMM_NAME(micro_narrow_direct)(long kc, const float *a, long rs, long ps,
                                                        const float *restrict bp,
                                                        float *restrict tile) {
  typedef GEMM_NAME(vec) vec;
  vec acc0[GEMM_MR];
  const float *row[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) {
    acc0[r] = 0;
    row[r] = a + r * rs;
  }
  for (long p = 0; p < kc; p++) {
    vec b0 = *(const vec *)(bp + p * GEMM_NR);
    for (int r = 0; r < GEMM_MR; r++) acc0[r] += row[r][p * ps] * b0;
  }
  for (int r = 0; r < GEMM_MR; r++) *(vec *)(tile + r * GEMM_NR) = acc0[r];
}

/// Packs op(B)[pc ..< pc+kc, jc ..< jc+nc] into NR-wide slivers (zero padded) of `ks` ≥ kc
/// rows each, starting at row `p0` of every sliver (so two sources can fill one sliver).
static GEMM_TARGET void GEMM_NAME(pack_b)(int transB, long kc, long nc, const float *b, long ldb,
                                           long pc, long jc, long ks, long p0,
                                           float *restrict out) {
  for (long j0 = 0; j0 < nc; j0 += GEMM_NR) {
    long w = nc - j0 < GEMM_NR ? nc - j0 : GEMM_NR;
    float *s = out + j0 * ks + p0 * GEMM_NR;
    if (!transB && w == GEMM_NR) {
      // Whole slivers: two vector copies per row (slivers are NR-float aligned).
      typedef GEMM_NAME(vec) vec;
      typedef float uvec __attribute__((ext_vector_type(GEMM_VW), aligned(4)));
      for (long p = 0; p < kc; p++) {
        const float *src = b + (pc + p) * ldb + jc + j0;
        float *dst = s + p * GEMM_NR;
        *(vec *)dst = *(const uvec *)src;
        *(vec *)(dst + GEMM_VW) = *(const uvec *)(src + GEMM_VW);
      }
    } else if (!transB) {
      for (long p = 0; p < kc; p++) {
        const float *src = b + (pc + p) * ldb + jc + j0;
        float *dst = s + p * GEMM_NR;
        long c = 0;
        for (; c < w; c++) dst[c] = src[c];
        for (; c < GEMM_NR; c++) dst[c] = 0;
      }
    } else {
      for (long c = 0; c < GEMM_NR; c++) {
        if (c < w) {
          const float *src = b + (jc + j0 + c) * ldb + pc;
          for (long p = 0; p < kc; p++) s[p * GEMM_NR + c] = src[p];
        } else {
          for (long p = 0; p < kc; p++) s[p * GEMM_NR + c] = 0;
        }
      }
    }
  }
}

/// Packs α·op(A)[i0 ..< i0+h, pc ..< pc+kc] as kc×MR (zero padded rows).
static GEMM_TARGET void GEMM_NAME(pack_a)(int transA, long kc, long h, float alpha,
                                           const float *a, long lda, long i0, long pc,
                                           float *restrict out) {
  if (!transA) {
    for (long r = 0; r < GEMM_MR; r++) {
      if (r < h) {
        const float *src = a + (i0 + r) * lda + pc;
        for (long p = 0; p < kc; p++) out[p * GEMM_MR + r] = alpha * src[p];
      } else {
        for (long p = 0; p < kc; p++) out[p * GEMM_MR + r] = 0;
      }
    }
  } else {
    for (long p = 0; p < kc; p++) {
      const float *src = a + (pc + p) * lda + i0;
      long r = 0;
      for (; r < h; r++) out[p * GEMM_MR + r] = alpha * src[r];
      for (; r < GEMM_MR; r++) out[p * GEMM_MR + r] = 0;
    }
  }
}

/// Whether `small` handles the shape: every dimension at most 64, whole micro-tiles.
static inline int GEMM_NAME(small_fits)(long m, long n, long k) {
  return m <= 64 && n <= 64 && k <= 64 && m % GEMM_MR == 0 && n % GEMM_NR == 0;
}

/// `sgemm2` for small shapes (`small_fits`) without packing: A is read in place, B in place or,
/// when transposed, from a transposed copy on the stack. Every element of C gets the arithmetic
/// of the packed path (same products α·a, same order, same update of C). With `triangle` 1
/// (op(Aₜ)[i, p] = 0 for p > i) or 2 (= 0 for p < i) the known zeros are skipped.
static GEMM_TARGET void GEMM_NAME(small)(int transA, int transB, long m, long n, long k1,
                                          float alpha, const float *a1, long lda1,
                                          const float *b1, long ldb1, long k2, const float *a2,
                                          long lda2, const float *b2, long ldb2, float beta,
                                          float *c, long ldc, int triangle) {
  typedef GEMM_NAME(vec) vec;
  typedef float uvec __attribute__((ext_vector_type(GEMM_VW), aligned(4)));
  float bt[64 * 64] __attribute__((aligned(64)));
  float tile[GEMM_MR * GEMM_NR] __attribute__((aligned(64)));
  const float *as[2] = {a1, a2};
  const float *bs[2] = {b1, b2};
  long la[2] = {lda1, lda2};
  long lb[2] = {ldb1, ldb2};
  long ks[2] = {k1, k2};
  if (transB) {
    long off = 0;
    for (int t = 0; t < 2; t++) {
      for (long j = 0; j < n; j++) {
        const float *src = bs[t] + j * lb[t];
        for (long p = 0; p < ks[t]; p++) bt[(off + p) * n + j] = src[p];
      }
      bs[t] = bt + off * n;
      lb[t] = n;
      off += ks[t];
    }
  }
  for (long i0 = 0; i0 < m; i0 += GEMM_MR) {
    for (long j0 = 0; j0 < n; j0 += GEMM_NR) {
      vec acc0[GEMM_MR];
      vec acc1[GEMM_MR];
      for (int r = 0; r < GEMM_MR; r++) {
        acc0[r] = 0;
        acc1[r] = 0;
      }
      for (int t = 0; t < 2; t++) {
        const float *bb = bs[t] + j0;
        long ldb = lb[t];
        long rs = transA ? 1 : la[t];
        long ps = transA ? la[t] : 1;
        const float *aa = as[t] + i0 * rs;
        long plo = triangle == 2 ? (i0 < ks[t] ? i0 : ks[t]) : 0;
        long phi = triangle == 1 ? (i0 + GEMM_MR < ks[t] ? i0 + GEMM_MR : ks[t]) : ks[t];
        for (long p = plo; p < phi; p++) {
          vec b0 = *(const uvec *)(bb + p * ldb);
          vec b1v = *(const uvec *)(bb + p * ldb + GEMM_VW);
          const float *ap = aa + p * ps;
          for (int r = 0; r < GEMM_MR; r++) {
            float s = alpha * ap[r * rs];
            acc0[r] += s * b0;
            acc1[r] += s * b1v;
          }
        }
      }
      for (int r = 0; r < GEMM_MR; r++) {
        *(vec *)(tile + r * GEMM_NR) = acc0[r];
        *(vec *)(tile + r * GEMM_NR + GEMM_VW) = acc1[r];
      }
      const float scale = 1.0f;
      for (long r = 0; r < GEMM_MR; r++) {
        float *crow = c + (i0 + r) * ldc + j0;
        const float *tr = tile + r * GEMM_NR;
        if (beta == 0) {
          for (long q = 0; q < GEMM_NR; q++) crow[q] = scale * tr[q];
        } else {
          for (long q = 0; q < GEMM_NR; q++) crow[q] = scale * tr[q] + beta * crow[q];
        }
      }
    }
  }
}

/// C ← α (op(A₁) op(B₁) + op(A₂) op(B₂)) + β C, the inner dimension being k₁ then k₂ (k₂ may be
/// 0): the two products share every pass over C, as one product with the inner dimension
/// concatenated would.
static GEMM_TARGET void GEMM_NAME(sgemm2)(int transA, int transB, long m, long n, long k1,
                                           float alpha, const float *a1, long lda1,
                                           const float *b1, long ldb1, long k2, const float *a2,
                                           long lda2, const float *b2, long ldb2, float beta,
                                           float *c, long ldc, int triangle) {
  const long KC = CURVATURE_GEMM_KC;
  const long NC = (CURVATURE_GEMM_NC / GEMM_NR) * GEMM_NR;
  const long k = k1 + k2;
  if (GEMM_NAME(small_fits)(m, n, k)) {
    GEMM_NAME(small)(transA, transB, m, n, k1, alpha, a1, lda1, b1, ldb1, k2, a2, lda2, b2, ldb2,
                     beta, c, ldc, triangle);
    return;
  }
  long ncMax = n < NC ? ((n + GEMM_NR - 1) / GEMM_NR) * GEMM_NR : NC;
  long kcMax = k < KC ? k : KC;
  float *bpack = curvature_scratch(0, (size_t)(kcMax * ncMax));
  float *apack = curvature_scratch(1, (size_t)(kcMax * GEMM_MR));
  float tile[GEMM_MR * GEMM_NR] __attribute__((aligned(64)));
  for (long jc = 0; jc < n; jc += NC) {
    long nc = n - jc < NC ? n - jc : NC;
    for (long pc = 0; pc < k; pc += KC) {
      long kc = k - pc < KC ? k - pc : KC;
      int first = pc == 0;
      // Rows [pc, pc + kc) of the concatenated inner dimension: k₁-part then k₂-part.
      long n1 = pc < k1 ? (k1 - pc < kc ? k1 - pc : kc) : 0;
      long n2 = kc - n1;
      long pc2 = pc + n1 - k1;
      if (n1 > 0) GEMM_NAME(pack_b)(transB, n1, nc, b1, ldb1, pc, jc, kc, 0, bpack);
      if (n2 > 0) GEMM_NAME(pack_b)(transB, n2, nc, b2, ldb2, pc2, jc, kc, n1, bpack);
      for (long i0 = 0; i0 < m; i0 += GEMM_MR) {
        long h = m - i0 < GEMM_MR ? m - i0 : GEMM_MR;
        // A narrow product (one sliver of at most GEMM_VW columns) reads full slivers of A in
        // place and applies α to the tile; otherwise α·A is packed.
        int direct = nc <= GEMM_VW && h == GEMM_MR && n2 == 0;
        float scale = direct ? alpha : 1.0f;
        const float *a = a1;
        long lda = lda1;
        if (!direct) {
          if (n1 > 0) GEMM_NAME(pack_a)(transA, n1, h, alpha, a1, lda1, i0, pc, apack);
          if (n2 > 0) {
            GEMM_NAME(pack_a)(transA, n2, h, alpha, a2, lda2, i0, pc2, apack + n1 * GEMM_MR);
          }
        }
        for (long j0 = 0; j0 < nc; j0 += GEMM_NR) {
          long w = nc - j0 < GEMM_NR ? nc - j0 : GEMM_NR;
          // Fetch the C tile while the micro-kernel runs (it is updated right after).
          for (long r = 0; r < h; r++) {
            const float *crow = c + (i0 + r) * ldc + jc + j0;
            for (long q = 0; q < w; q += 16) __builtin_prefetch(crow + q, 1, 3);
          }
          if (direct) {
            const float *a0 = transA ? a + pc * lda + i0 : a + i0 * lda + pc;
            GEMM_NAME(micro_narrow_direct)(kc, a0, transA ? 1 : lda, transA ? lda : 1,
                                           bpack + j0 * kc, tile);
          } else if (w <= GEMM_VW) {
            GEMM_NAME(micro_narrow)(kc, apack, bpack + j0 * kc, tile);
          } else {
            GEMM_NAME(micro)(kc, apack, bpack + j0 * kc, tile);
          }
          for (long r = 0; r < h; r++) {
            float *crow = c + (i0 + r) * ldc + jc + j0;
            const float *t = tile + r * GEMM_NR;
            if (!first) {
              for (long q = 0; q < w; q++) crow[q] += scale * t[q];
            } else if (beta == 0) {
              for (long q = 0; q < w; q++) crow[q] = scale * t[q];
            } else {
              for (long q = 0; q < w; q++) crow[q] = scale * t[q] + beta * crow[q];
            }
          }
        }
      }
    }
  }
}

static GEMM_TARGET void GEMM_NAME(sgemm)(int transA, int transB, long m, long n, long k,
                                          float alpha, const float *a, long lda, const float *b,
                                          long ldb, float beta, float *c, long ldc) {
  GEMM_NAME(sgemm2)(transA, transB, m, n, k, alpha, a, lda, b, ldb, 0, a, lda, b, ldb, beta, c,
                    ldc, 0);
}

#undef GEMM_NR
#undef GEMM_NAME
#undef GEMM_CAT
#undef GEMM_CAT2
