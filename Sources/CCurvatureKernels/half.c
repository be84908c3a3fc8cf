// Tall-skinny products with a column-major U stored in IEEE binary16 (column j at u + j·ldu),
// for x86-64 with AVX2, FMA and F16C:
//   curvature_tsmv_t_half:  c[j] += Σ_i U[i, j]·x[i]                  (Uᵀx, Double partial sums)
//   curvature_tsmv_n_half:  out[i] = init[i] + β·x[i] + Σ_j d[j]·U[i, j]
// and the conversions between Float and binary16. Each half is widened to Float exactly
// (vcvtph2ps) before the fused multiply–add, so the arithmetic is the Float arithmetic of the
// Float32 kernels on a basis whose entries were rounded once. Half the bytes of a Float32 basis:
// at P ≈ 1.1M, k = 10 the basis (22.5 MB) can stay in a 32 MiB last-level cache between steps.
// Tails go through the same vector arithmetic on a zero-padded copy, and all blocking depends
// only on the shape, so results do not depend on timing or on the alignment of the buffers.

#include "CCurvatureKernels.h"

#include <stdint.h>
#include <string.h>

/// Rows per tile of x (Uᵀx) or of out (U d): 128 KiB of Float, held in L2 while the columns pass.
#define HALF_TILE 32768
/// Columns per group in Uᵀx (one Float accumulator each).
#define HALF_GROUP_T 8
/// Columns per group in U d (their coefficients stay in registers).
#define HALF_GROUP_N 12
/// Elements per Float accumulation block of Uᵀx before the lanes are added in Double.
#define HALF_BLOCK 512
/// Software prefetch distance in bytes along each column.
#define HALF_PREFETCH 1024

#if defined(__x86_64__)
#include <immintrin.h>

int curvature_half_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
}

#define HALF_TARGET __attribute__((target("avx2,fma,f16c")))

static inline __attribute__((always_inline)) HALF_TARGET __m256i half_mask8(long len) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)len), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Eight halves widened to Float; `len` < 8 reads only the first `len` (the rest are 0).
static inline __attribute__((always_inline)) HALF_TARGET __m256 half_load8(const uint16_t *p,
                                                                            long len) {
  if (len >= 8) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
  uint16_t tmp[8] = {0};
  memcpy(tmp, p, (size_t)len * sizeof(uint16_t));
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)tmp));
}

HALF_TARGET void curvature_float_to_half(long n, const float *x, uint16_t *h) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i *)(h + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  if (i < n) {
    __m256 v = _mm256_maskload_ps(x + i, half_mask8(n - i));
    uint16_t tmp[8];
    _mm_storeu_si128((__m128i *)tmp, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    memcpy(h + i, tmp, (size_t)(n - i) * sizeof(uint16_t));
  }
}

HALF_TARGET void curvature_half_to_float(long n, const uint16_t *h, float *x) {
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, half_load8(h + i, 8));
  if (i < n) _mm256_maskstore_ps(x + i, half_mask8(n - i), half_load8(h + i, n - i));
}

HALF_TARGET double curvature_half_squared_error(long n, const float *x, const uint16_t *h) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  for (long i = 0; i < n; i += 8) {
    long len = n - i;
    __m256 xv = len >= 8 ? _mm256_loadu_ps(x + i) : _mm256_maskload_ps(x + i, half_mask8(len));
    // Exact in Float: a Float minus its own binary16 rounding (or ±∞ on overflow).
    __m256 d = _mm256_sub_ps(half_load8(h + i, len), xv);
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(d));
    __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
    a0 = _mm256_fmadd_pd(lo, lo, a0);
    a1 = _mm256_fmadd_pd(hi, hi, a1);
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, _mm256_add_pd(a0, a1));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

/// c[q] += Σ_{i<n} u[q·ldu + i]·x[i] for q < g: 8 Float lanes per block of HALF_BLOCK, the lanes
/// then added in Double.
static inline __attribute__((always_inline)) HALF_TARGET void
half_t_group(int g, long n, const uint16_t *u, long ldu, const float *x, double *c) {
  for (long i0 = 0; i0 < n; i0 += HALF_BLOCK) {
    long i1 = i0 + HALF_BLOCK < n ? i0 + HALF_BLOCK : n;
    __m256 acc[HALF_GROUP_T];
    for (int q = 0; q < g; q++) acc[q] = _mm256_setzero_ps();
    for (long i = i0; i < i1; i += 8) {
      long len = i1 - i;
      __m256 xv = len >= 8 ? _mm256_loadu_ps(x + i) : _mm256_maskload_ps(x + i, half_mask8(len));
      for (int q = 0; q < g; q++) {
        const uint16_t *p = u + q * ldu + i;
        if ((i & 31) == 0) _mm_prefetch((const char *)p + HALF_PREFETCH, _MM_HINT_T0);
        acc[q] = _mm256_fmadd_ps(half_load8(p, len), xv, acc[q]);
      }
    }
    for (int q = 0; q < g; q++) {
      __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(acc[q])),
                                _mm256_cvtps_pd(_mm256_extractf128_ps(acc[q], 1)));
      __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
      c[q] += _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    }
  }
}

HALF_TARGET void curvature_tsmv_t_half(long n, long k, const uint16_t *u, long ldu, const float *x,
                                       double *c) {
  for (long t = 0; t < n; t += HALF_TILE) {
    long nt = n - t < HALF_TILE ? n - t : HALF_TILE;
    for (long j = 0; j < k; j += HALF_GROUP_T) {
      int g = k - j < HALF_GROUP_T ? (int)(k - j) : HALF_GROUP_T;
      half_t_group(g, nt, u + j * ldu + t, ldu, x + t, c + j);
    }
  }
}

/// One group of at most HALF_GROUP_N columns over n rows: dst[i] = init + Σ_q d[q]·u[q·ldu + i],
/// where init is src[i] (`fromSource`) or 0, plus β·x[i] when x is non-null.
static inline __attribute__((always_inline)) HALF_TARGET void
half_n_group(int g, long n, const uint16_t *u, long ldu, const float *d, int fromSource,
             const float *x, float beta, float *out) {
  __m256 dv[HALF_GROUP_N];
  for (int q = 0; q < g; q++) dv[q] = _mm256_set1_ps(d[q]);
  __m256 bv = _mm256_set1_ps(beta);
  for (long i = 0; i < n; i += 8) {
    long len = n - i;
    __m256i m = half_mask8(len);
    __m256 acc = fromSource ? (len >= 8 ? _mm256_loadu_ps(out + i) : _mm256_maskload_ps(out + i, m))
                            : _mm256_setzero_ps();
    if (x) {
      __m256 xv = len >= 8 ? _mm256_loadu_ps(x + i) : _mm256_maskload_ps(x + i, m);
      acc = _mm256_fmadd_ps(bv, xv, acc);
    }
    for (int q = 0; q < g; q++) {
      const uint16_t *p = u + q * ldu + i;
      if ((i & 31) == 0) _mm_prefetch((const char *)p + HALF_PREFETCH, _MM_HINT_T0);
      acc = _mm256_fmadd_ps(dv[q], half_load8(p, len), acc);
    }
    if (len >= 8)
      _mm256_storeu_ps(out + i, acc);
    else
      _mm256_maskstore_ps(out + i, m, acc);
  }
}

HALF_TARGET void curvature_tsmv_n_half(long n, long k, const uint16_t *u, long ldu, const float *d,
                                       const float *x, float beta, int accumulate, float *out) {
  if (n <= 0) return;
  for (long t = 0; t < n; t += HALF_TILE) {
    long nt = n - t < HALF_TILE ? n - t : HALF_TILE;
    const float *xt = x ? x + t : 0;
    if (k == 0) {
      half_n_group(0, nt, u, ldu, d, accumulate, xt, beta, out + t);
      continue;
    }
    for (long j = 0; j < k; j += HALF_GROUP_N) {
      int g = k - j < HALF_GROUP_N ? (int)(k - j) : HALF_GROUP_N;
      // The first group starts from out (when accumulating) and adds β·x; later ones add to it.
      half_n_group(g, nt, u + j * ldu + t, ldu, d + j, j > 0 || accumulate, j == 0 ? xt : 0, beta,
                   out + t);
    }
  }
}

#else

int curvature_half_supported(void) { return 0; }
void curvature_float_to_half(long n, const float *x, uint16_t *h) { (void)n, (void)x, (void)h; }
void curvature_half_to_float(long n, const uint16_t *h, float *x) { (void)n, (void)h, (void)x; }
double curvature_half_squared_error(long n, const float *x, const uint16_t *h) {
  (void)n, (void)x, (void)h;
  return 0;
}
void curvature_tsmv_t_half(long n, long k, const uint16_t *u, long ldu, const float *x,
                           double *c) {
  (void)n, (void)k, (void)u, (void)ldu, (void)x, (void)c;
}
void curvature_tsmv_n_half(long n, long k, const uint16_t *u, long ldu, const float *d,
                           const float *x, float beta, int accumulate, float *out) {
  (void)n, (void)k, (void)u, (void)ldu, (void)d, (void)x, (void)beta, (void)accumulate, (void)out;
}

#endif
