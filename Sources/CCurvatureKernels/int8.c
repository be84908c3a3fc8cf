// Tall-skinny products with a column-major U stored as block-scaled int8, for x86-64 with AVX2
// and FMA:
//   curvature_float_to_int8:      q[i] = round(x[i] / s_b), s_b = max_{i ∈ b} |x[i]| / 127,
//                                 returning Σ_i (s_b·q[i] − x[i])²
//   curvature_tsmv_t_int8:        c[j] += Σ_b s_jb · Σ_{i ∈ b} q_j[i]·x[i]      (Uᵀx)
//   curvature_tsmv_n_int8:        out[i] = init[i] + β·x[i] + Σ_j (d[j]·s_jb)·q_j[i]
// A block b is 64 consecutive rows of a column (the last one of a column may be shorter), with
// one Float scale. A quarter of the bytes of a Float32 basis: at P ≈ 1.1M, k = 10 the copy
// (11.3 MB with its scales) stays in a 32 MiB last-level cache beside the parameters and the
// gradient. The int8 values are exact in Float; tails go through the same vector arithmetic on
// a zero-padded copy, and all blocking depends only on the shape, so results do not depend on
// timing or on the alignment of the buffers.

#include "CCurvatureKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/// Rows per scale block.
#define I8_BLOCK 64
/// Rows per tile of x (Uᵀx) or of out (U d): 128 KiB of Float, held in L2 while the columns pass.
#define I8_TILE 32768
/// Columns per group in Uᵀx (one Float accumulator each, beside the 8 vectors of x).
#define I8_GROUP_T 6
/// Columns per group in U d (their block coefficients stay in registers).
#define I8_GROUP_N 12
/// Blocks per Float accumulation run of Uᵀx before the lanes are added in Double (512 rows).
#define I8_FLUSH 8
/// Software prefetch distance in bytes along each column.
#define I8_PREFETCH 512

#if defined(__x86_64__)
#include <immintrin.h>

int curvature_int8_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define I8_TARGET __attribute__((target("avx2,fma")))

/// Eight int8 values widened to Float (exact).
static inline __attribute__((always_inline)) I8_TARGET __m256 i8_load8(const int8_t *p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

static inline __attribute__((always_inline)) I8_TARGET double i8_sum8(__m256 a) {
  __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)),
                            _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)));
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

I8_TARGET double curvature_float_to_int8(long n, const float *x, int8_t *q, float *scales) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  // Σ (s·q − x)², each term exact in Double, in 4 Double lanes per half block (a fixed order).
  __m256d e0 = _mm256_setzero_pd(), e1 = _mm256_setzero_pd();
  for (long b0 = 0; b0 < n; b0 += I8_BLOCK) {
    long len = n - b0 < I8_BLOCK ? n - b0 : I8_BLOCK;
    float pad[I8_BLOCK];
    const float *src = x + b0;
    if (len < I8_BLOCK) {
      memset(pad, 0, sizeof pad);
      memcpy(pad, src, (size_t)len * sizeof(float));
      src = pad;
    }
    __m256 m = _mm256_setzero_ps();
    for (int v = 0; v < I8_BLOCK; v += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(src + v)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    float largest = _mm_cvtss_f32(h);
    float s = largest / 127.0f;
    scales[b0 / I8_BLOCK] = s;
    int8_t out[I8_BLOCK];
    if (s > 0) {
      // Division, not a reciprocal: q is the integer nearest to x/s (ties to even), so
      // |s·q − x| ≤ s/2 up to the rounding of the quotient; |q| ≤ 127 after the clamp.
      __m256 sv = _mm256_set1_ps(s);
      __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
      for (int v = 0; v < I8_BLOCK; v += 8) {
        __m256 r = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(src + v), sv),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        r = _mm256_min_ps(hi, _mm256_max_ps(lo, r));
        __m256i i32 = _mm256_cvtps_epi32(r);
        __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
        __m128i i8 = _mm_packs_epi16(i16, i16);
        _mm_storel_epi64((__m128i *)(out + v), i8);
      }
    } else {
      memset(out, 0, sizeof out);
    }
    memcpy(q + b0, out, (size_t)len);
    // The padding of a short block is 0 in both x and q, so it adds nothing.
    __m256d sd = _mm256_set1_pd((double)s);
    for (int v = 0; v < I8_BLOCK; v += 4) {
      int32_t four;
      memcpy(&four, out + v, sizeof four);
      __m256d qd = _mm256_cvtepi32_pd(_mm_cvtepi8_epi32(_mm_cvtsi32_si128(four)));
      __m256d d = _mm256_sub_pd(_mm256_mul_pd(sd, qd), _mm256_cvtps_pd(_mm_loadu_ps(src + v)));
      if (v & 4)
        e1 = _mm256_fmadd_pd(d, d, e1);
      else
        e0 = _mm256_fmadd_pd(d, d, e0);
    }
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, _mm256_add_pd(e0, e1));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

/// c[q] += Σ over the blocks of n rows (n a multiple of I8_BLOCK) of s[q·lds + b]·Σ_{i ∈ b}
/// u[q·ldu + i]·x[i] for q < g.
static inline __attribute__((always_inline)) I8_TARGET void
i8_t_group(int g, long n, const int8_t *u, long ldu, const float *s, long lds, const float *x,
           double *c) {
  long blocks = n / I8_BLOCK;
  for (long b0 = 0; b0 < blocks; b0 += I8_FLUSH) {
    long b1 = b0 + I8_FLUSH < blocks ? b0 + I8_FLUSH : blocks;
    __m256 acc[I8_GROUP_T];
    for (int q = 0; q < g; q++) acc[q] = _mm256_setzero_ps();
    for (long b = b0; b < b1; b++) {
      const float *xb = x + b * I8_BLOCK;
      __m256 x0 = _mm256_loadu_ps(xb), x1 = _mm256_loadu_ps(xb + 8);
      __m256 x2 = _mm256_loadu_ps(xb + 16), x3 = _mm256_loadu_ps(xb + 24);
      __m256 x4 = _mm256_loadu_ps(xb + 32), x5 = _mm256_loadu_ps(xb + 40);
      __m256 x6 = _mm256_loadu_ps(xb + 48), x7 = _mm256_loadu_ps(xb + 56);
      for (int q = 0; q < g; q++) {
        const int8_t *p = u + q * ldu + b * I8_BLOCK;
        _mm_prefetch((const char *)p + I8_PREFETCH, _MM_HINT_T0);
        __m256 t = _mm256_mul_ps(i8_load8(p), x0);
        t = _mm256_fmadd_ps(i8_load8(p + 8), x1, t);
        t = _mm256_fmadd_ps(i8_load8(p + 16), x2, t);
        t = _mm256_fmadd_ps(i8_load8(p + 24), x3, t);
        t = _mm256_fmadd_ps(i8_load8(p + 32), x4, t);
        t = _mm256_fmadd_ps(i8_load8(p + 40), x5, t);
        t = _mm256_fmadd_ps(i8_load8(p + 48), x6, t);
        t = _mm256_fmadd_ps(i8_load8(p + 56), x7, t);
        acc[q] = _mm256_fmadd_ps(_mm256_set1_ps(s[q * lds + b]), t, acc[q]);
      }
    }
    for (int q = 0; q < g; q++) c[q] += i8_sum8(acc[q]);
  }
}

I8_TARGET void curvature_tsmv_t_int8(long n, long k, const int8_t *u, long ldu, const float *s,
                                     long lds, const float *x, double *c) {
  long whole = n / I8_BLOCK * I8_BLOCK;
  for (long t = 0; t < whole; t += I8_TILE) {
    long nt = whole - t < I8_TILE ? whole - t : I8_TILE;
    for (long j = 0; j < k; j += I8_GROUP_T) {
      int g = k - j < I8_GROUP_T ? (int)(k - j) : I8_GROUP_T;
      i8_t_group(g, nt, u + j * ldu + t, ldu, s + j * lds + t / I8_BLOCK, lds, x + t, c + j);
    }
  }
  if (whole < n) {
    // The last, shorter block: zero-padded copies through the same arithmetic.
    long len = n - whole;
    float xp[I8_BLOCK] = {0};
    memcpy(xp, x + whole, (size_t)len * sizeof(float));
    for (long j = 0; j < k; j++) {
      int8_t up[I8_BLOCK] = {0};
      memcpy(up, u + j * ldu + whole, (size_t)len);
      i8_t_group(1, I8_BLOCK, up, 0, s + j * lds + whole / I8_BLOCK, 0, xp, c + j);
    }
  }
}

/// One group of at most I8_GROUP_N columns over the blocks of n rows (n a multiple of
/// I8_BLOCK): dst[i] = init + Σ_q (d[q]·s[q·lds + b])·u[q·ldu + i], where init is out[i]
/// (`fromSource`) or 0, plus β·x[i] when x is non-null.
static inline __attribute__((always_inline)) I8_TARGET void
i8_n_group(int g, long n, const int8_t *u, long ldu, const float *s, long lds, const float *d,
           int fromSource, const float *x, float beta, float *out) {
  __m256 bv = _mm256_set1_ps(beta);
  long blocks = n / I8_BLOCK;
  for (long b = 0; b < blocks; b++) {
    float e[I8_GROUP_N];
    for (int q = 0; q < g; q++) e[q] = d[q] * s[q * lds + b];
    // Four independent vectors of 8 rows at a time: four accumulation chains in flight, each
    // element still through the same fused multiply–adds in the same order.
    for (int v = 0; v < I8_BLOCK; v += 32) {
      long i = b * I8_BLOCK + v;
      __m256 a0, a1, a2, a3;
      if (fromSource) {
        a0 = _mm256_loadu_ps(out + i), a1 = _mm256_loadu_ps(out + i + 8);
        a2 = _mm256_loadu_ps(out + i + 16), a3 = _mm256_loadu_ps(out + i + 24);
      } else {
        a0 = a1 = a2 = a3 = _mm256_setzero_ps();
      }
      if (x) {
        a0 = _mm256_fmadd_ps(bv, _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(bv, _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(bv, _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(bv, _mm256_loadu_ps(x + i + 24), a3);
      }
      for (int q = 0; q < g; q++) {
        const int8_t *p = u + q * ldu + i;
        if (v == 0) _mm_prefetch((const char *)p + I8_PREFETCH, _MM_HINT_T0);
        __m256 eq = _mm256_set1_ps(e[q]);
        a0 = _mm256_fmadd_ps(eq, i8_load8(p), a0);
        a1 = _mm256_fmadd_ps(eq, i8_load8(p + 8), a1);
        a2 = _mm256_fmadd_ps(eq, i8_load8(p + 16), a2);
        a3 = _mm256_fmadd_ps(eq, i8_load8(p + 24), a3);
      }
      _mm256_storeu_ps(out + i, a0);
      _mm256_storeu_ps(out + i + 8, a1);
      _mm256_storeu_ps(out + i + 16, a2);
      _mm256_storeu_ps(out + i + 24, a3);
    }
  }
}

/// All column groups of `k` over n rows (n a multiple of I8_BLOCK), tile by tile.
static inline __attribute__((always_inline)) I8_TARGET void
i8_n_rows(long n, long k, const int8_t *u, long ldu, const float *s, long lds, const float *d,
          const float *x, float beta, int accumulate, float *out) {
  for (long t = 0; t < n; t += I8_TILE) {
    long nt = n - t < I8_TILE ? n - t : I8_TILE;
    const float *xt = x ? x + t : 0;
    if (k == 0) {
      i8_n_group(0, nt, u, ldu, s, lds, d, accumulate, xt, beta, out + t);
      continue;
    }
    for (long j = 0; j < k; j += I8_GROUP_N) {
      int g = k - j < I8_GROUP_N ? (int)(k - j) : I8_GROUP_N;
      // The first group starts from out (when accumulating) and adds β·x; later ones add to it.
      i8_n_group(g, nt, u + j * ldu + t, ldu, s + j * lds + t / I8_BLOCK, lds, d + j,
                 j > 0 || accumulate, j == 0 ? xt : 0, beta, out + t);
    }
  }
}

I8_TARGET void curvature_tsmv_n_int8(long n, long k, const int8_t *u, long ldu, const float *s,
                                     long lds, const float *d, const float *x, float beta,
                                     int accumulate, float *out) {
  if (n <= 0) return;
  long whole = n / I8_BLOCK * I8_BLOCK;
  i8_n_rows(whole, k, u, ldu, s, lds, d, x, beta, accumulate, out);
  if (whole < n) {
    // The last, shorter block: zero-padded copies of U's rows, x and out.
    long len = n - whole;
    int8_t up[I8_GROUP_N * I8_BLOCK];
    float xp[I8_BLOCK] = {0}, op[I8_BLOCK] = {0};
    if (x) memcpy(xp, x + whole, (size_t)len * sizeof(float));
    if (accumulate) memcpy(op, out + whole, (size_t)len * sizeof(float));
    for (long j = 0; j < k || j == 0; j += I8_GROUP_N) {
      int g = k - j < I8_GROUP_N ? (int)(k - j) : I8_GROUP_N;
      memset(up, 0, sizeof up);
      for (int q = 0; q < g; q++) memcpy(up + q * I8_BLOCK, u + (j + q) * ldu + whole, (size_t)len);
      i8_n_group(g, I8_BLOCK, up, I8_BLOCK, s + j * lds + whole / I8_BLOCK, lds, d + j,
                 j > 0 || accumulate, j == 0 && x ? xp : 0, beta, op);
    }
    memcpy(out + whole, op, (size_t)len * sizeof(float));
  }
}

#else

int curvature_int8_supported(void) { return 0; }
double curvature_float_to_int8(long n, const float *x, int8_t *q, float *scales) {
  (void)n, (void)x, (void)q, (void)scales;
  return 0;
}
void curvature_tsmv_t_int8(long n, long k, const int8_t *u, long ldu, const float *s, long lds,
                           const float *x, double *c) {
  (void)n, (void)k, (void)u, (void)ldu, (void)s, (void)lds, (void)x, (void)c;
}
void curvature_tsmv_n_int8(long n, long k, const int8_t *u, long ldu, const float *s, long lds,
                           const float *d, const float *x, float beta, int accumulate,
                           float *out) {
  (void)n, (void)k, (void)u, (void)ldu, (void)s, (void)lds, (void)d, (void)x, (void)beta,
      (void)accumulate, (void)out;
}

#endif
