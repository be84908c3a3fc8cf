// Tall-skinny products with a column-major U (column j at u + j·ldu) for AVX-512 and AVX2+FMA:
//   curvature_tsmv_t:  c[j] += Σ_i U[i, j]·x[i]            (Uᵀx, Double partial sums)
//   curvature_tsmv_n:  out[i] = init[i] + Σ_j d[j]·U[i, j]  (U d; init β·x, 0, out or out + β·x)
// Rows are processed in tiles of PROJ_TILE elements; within a tile the columns stream past in
// groups of PROJ_GROUP (few concurrent memory streams keep the hardware prefetchers effective),
// with a software prefetch PROJ_PREFETCH bytes ahead in every column (it crosses the 4 KiB page
// boundaries where hardware prefetchers stop). The tile of x (or of the output) stays in L2
// while the groups pass over it. Tails use masked vector operations, so every element goes
// through the same arithmetic, and all blocking depends only on the shape: results do not
// depend on timing or on the alignment of the output.

#include "CCurvatureKernels.h"

#include <stdint.h>
#include <stdlib.h>

#ifndef PROJ_TILE
#define PROJ_TILE 32768
#endif
#ifndef PROJ_GROUP
#define PROJ_GROUP 4
#endif
#ifndef PROJ_PREFETCH
#define PROJ_PREFETCH 1024
#endif
#ifndef PROJ_PREFETCH_HINT
#define PROJ_PREFETCH_HINT _MM_HINT_T0
#endif
#if PROJ_PREFETCH > 0
#define PROJ_PREFETCH_LINE(p) _mm_prefetch((const char *)(p) + PROJ_PREFETCH, PROJ_PREFETCH_HINT)
#else
#define PROJ_PREFETCH_LINE(p) ((void)(p))
#endif
/// Elements per Float accumulation block of Uᵀx before the lanes are added in Double.
#define PROJ_BLOCK 512
#define PROJ_GROUP_MAX 8

enum { PROJ_INIT_ZERO = 0, PROJ_INIT_SCALED_X = 1, PROJ_INIT_SOURCE = 2, PROJ_INIT_SOURCE_SCALED_X = 3 };

#if defined(__x86_64__)
#include <immintrin.h>

/// A per-thread tile of scratch (64-byte aligned) holding the partial sums of U d when the
/// output is written with streaming stores; kept for reuse.
static float *proj_scratch(void) {
  static _Thread_local float *buffer;
  static _Thread_local long size;
  if (size < PROJ_TILE) {
    free(buffer);
    buffer = aligned_alloc(64, (size_t)PROJ_TILE * sizeof(float));
    size = buffer ? PROJ_TILE : 0;
  }
  return buffer;
}

#define PROJ_DISPATCH(g, CALL)                                                                 \
  switch (g) {                                                                                 \
  case 1: CALL(1); break;                                                                      \
  case 2: CALL(2); break;                                                                      \
  case 3: CALL(3); break;                                                                      \
  case 4: CALL(4); break;                                                                      \
  case 5: CALL(5); break;                                                                      \
  case 6: CALL(6); break;                                                                      \
  case 7: CALL(7); break;                                                                      \
  default: CALL(8); break;                                                                     \
  }

// MARK: AVX-512

/// c[q] += Σ_{i<n} u[q·ldu + i]·x[i] for q < g: 16 Float lanes per block of PROJ_BLOCK, the
/// lanes then added in Double.
static inline __attribute__((always_inline, target("avx512f"))) void
proj_t_group_avx512(int g, long n, const float *u, long ldu, const float *x, double *c) {
  for (long i0 = 0; i0 < n; i0 += PROJ_BLOCK) {
    long i1 = i0 + PROJ_BLOCK < n ? i0 + PROJ_BLOCK : n;
    __m512 acc[PROJ_GROUP_MAX];
    for (int q = 0; q < g; q++) acc[q] = _mm512_setzero_ps();
    long i = i0;
    for (; i + 16 <= i1; i += 16) {
      __m512 xv = _mm512_loadu_ps(x + i);
      for (int q = 0; q < g; q++) {
        const float *p = u + q * ldu + i;
        PROJ_PREFETCH_LINE(p);
        acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(p), xv, acc[q]);
      }
    }
    if (i < i1) {
      __mmask16 m = (__mmask16)((1u << (i1 - i)) - 1);
      __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
      for (int q = 0; q < g; q++)
        acc[q] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, u + q * ldu + i), xv, acc[q]);
    }
    for (int q = 0; q < g; q++) {
      __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(acc[q]));
      __m512d hi = _mm512_cvtps_pd(
          _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[q]), 1)));
      c[q] += _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
    }
  }
}

/// dst[i] = init[i] + Σ_{q<g} d[q]·u[q·ldu + i] over one tile of n elements, where init is 0,
/// β·x[i] or src[i]. Vectors start at `head` (the elements before it form a masked first
/// vector) so that full vectors of dst are 64-byte aligned when `stream` is set; those are then
/// written with streaming stores.
static inline __attribute__((always_inline, target("avx512f"))) void
proj_n_group_avx512(int g, long n, long head, const float *u, long ldu, const float *d, int init,
                    const float *x, float beta, const float *src, float *dst, int stream) {
  __m512 dv[PROJ_GROUP_MAX];
  for (int q = 0; q < g; q++) dv[q] = _mm512_set1_ps(d[q]);
  __m512 bv = _mm512_set1_ps(beta);
  long i = 0;
  long step = head > 0 ? head : 16;
  while (i < n) {
    long len = n - i < step ? n - i : step;
    __mmask16 m = (__mmask16)((1u << len) - 1);
    __m512 acc;
    if (init == PROJ_INIT_SCALED_X)
      acc = _mm512_mul_ps(bv, _mm512_maskz_loadu_ps(m, x + i));
    else if (init == PROJ_INIT_SOURCE)
      acc = _mm512_maskz_loadu_ps(m, src + i);
    else if (init == PROJ_INIT_SOURCE_SCALED_X)
      acc = _mm512_fmadd_ps(bv, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, src + i));
    else
      acc = _mm512_setzero_ps();
    for (int q = 0; q < g; q++) {
      const float *p = u + q * ldu + i;
      PROJ_PREFETCH_LINE(p);
      acc = _mm512_fmadd_ps(dv[q], _mm512_maskz_loadu_ps(m, p), acc);
    }
    if (stream && len == 16)
      _mm512_stream_ps(dst + i, acc);
    else
      _mm512_mask_storeu_ps(dst + i, m, acc);
    i += len;
    step = 16;
  }
}

// MARK: AVX2 + FMA

static inline __attribute__((always_inline, target("avx2,fma"))) __m256i proj_mask8(long len) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)len), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline __attribute__((always_inline, target("avx2,fma"))) void
proj_t_group_avx2(int g, long n, const float *u, long ldu, const float *x, double *c) {
  for (long i0 = 0; i0 < n; i0 += PROJ_BLOCK) {
    long i1 = i0 + PROJ_BLOCK < n ? i0 + PROJ_BLOCK : n;
    __m256 acc[PROJ_GROUP_MAX];
    for (int q = 0; q < g; q++) acc[q] = _mm256_setzero_ps();
    long i = i0;
    for (; i + 8 <= i1; i += 8) {
      __m256 xv = _mm256_loadu_ps(x + i);
      for (int q = 0; q < g; q++) {
        const float *p = u + q * ldu + i;
        if ((i & 15) == 0) PROJ_PREFETCH_LINE(p);
        acc[q] = _mm256_fmadd_ps(_mm256_loadu_ps(p), xv, acc[q]);
      }
    }
    if (i < i1) {
      __m256i m = proj_mask8(i1 - i);
      __m256 xv = _mm256_maskload_ps(x + i, m);
      for (int q = 0; q < g; q++)
        acc[q] = _mm256_fmadd_ps(_mm256_maskload_ps(u + q * ldu + i, m), xv, acc[q]);
    }
    for (int q = 0; q < g; q++) {
      __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(acc[q])),
                                _mm256_cvtps_pd(_mm256_extractf128_ps(acc[q], 1)));
      __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
      c[q] += _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    }
  }
}

static inline __attribute__((always_inline, target("avx2,fma"))) void
proj_n_group_avx2(int g, long n, long head, const float *u, long ldu, const float *d, int init,
                  const float *x, float beta, const float *src, float *dst, int stream) {
  __m256 dv[PROJ_GROUP_MAX];
  for (int q = 0; q < g; q++) dv[q] = _mm256_set1_ps(d[q]);
  __m256 bv = _mm256_set1_ps(beta);
  __m256i full = _mm256_set1_epi32(-1);
  long i = 0;
  long step = head > 0 ? head : 8;
  while (i < n) {
    long len = n - i < step ? n - i : step;
    __m256i m = len == 8 ? full : proj_mask8(len);
    __m256 acc;
    if (init == PROJ_INIT_SCALED_X)
      acc = _mm256_mul_ps(bv, _mm256_maskload_ps(x + i, m));
    else if (init == PROJ_INIT_SOURCE)
      acc = _mm256_maskload_ps(src + i, m);
    else if (init == PROJ_INIT_SOURCE_SCALED_X)
      acc = _mm256_fmadd_ps(bv, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(src + i, m));
    else
      acc = _mm256_setzero_ps();
    for (int q = 0; q < g; q++) {
      const float *p = u + q * ldu + i;
      if ((i & 15) == 0) PROJ_PREFETCH_LINE(p);
      acc = _mm256_fmadd_ps(dv[q], _mm256_maskload_ps(p, m), acc);
    }
    if (stream && len == 8)
      _mm256_stream_ps(dst + i, acc);
    else
      _mm256_maskstore_ps(dst + i, m, acc);
    i += len;
    step = 8;
  }
}

// MARK: Drivers

/// Uᵀx over the row tiles: within a tile the column groups pass in order over the same x tile.
#define PROJ_T_DRIVER(ISA, NAME)                                                               \
  static __attribute__((target(ISA))) void proj_t_##NAME(long n, long k, const float *u,       \
                                                         long ldu, const float *x, double *c) { \
    for (long t = 0; t < n; t += PROJ_TILE) {                                                  \
      long nt = n - t < PROJ_TILE ? n - t : PROJ_TILE;                                         \
      for (long j = 0; j < k; j += PROJ_GROUP) {                                               \
        int g = k - j < PROJ_GROUP ? (int)(k - j) : PROJ_GROUP;                                \
        const float *uj = u + j * ldu + t;                                                     \
        PROJ_DISPATCH(g, PROJ_T_GROUP_##NAME)                                                  \
      }                                                                                        \
    }                                                                                          \
  }

#define PROJ_T_GROUP_avx512(G) proj_t_group_avx512(G, nt, uj, ldu, x + t, c + j)
#define PROJ_T_GROUP_avx2(G) proj_t_group_avx2(G, nt, uj, ldu, x + t, c + j)
PROJ_T_DRIVER("avx512f", avx512)
PROJ_T_DRIVER("avx2,fma", avx2)
#undef PROJ_T_GROUP_avx512
#undef PROJ_T_GROUP_avx2

/// One tile of U d: the column groups pass over the tile in order; partial sums go to the
/// per-thread scratch tile when the final result is streamed (so the output is never read).
#define PROJ_N_DRIVER(ISA, ALIGN)                                                              \
  static __attribute__((target(ISA))) void proj_n_##ALIGN(                                     \
      long n, long k, const float *u, long ldu, const float *d, const float *x, float beta,   \
      int accumulate, int stream, float *out)

#define PROJ_N_BODY(BYTES)                                                            \
  float *scratch = stream && k > PROJ_GROUP ? proj_scratch() : 0;                              \
  if (stream && k > PROJ_GROUP && !scratch) stream = 0;                                        \
  for (long t = 0; t < n; t += PROJ_TILE) {                                                    \
    long nt = n - t < PROJ_TILE ? n - t : PROJ_TILE;                                           \
    float *o = out + t;                                                                        \
    long head = stream ? (long)((BYTES - ((uintptr_t)o & (BYTES - 1))) & (BYTES - 1)) / 4 : 0; \
    const float *xt = x ? x + t : 0;                                                           \
    for (long j = 0; j < k; j += PROJ_GROUP) {                                                 \
      int g = k - j < PROJ_GROUP ? (int)(k - j) : PROJ_GROUP;                                  \
      int last = j + g == k;                                                                   \
      float *dst = last || !scratch ? o : scratch;                                             \
      int init = PROJ_INIT_SOURCE;                                                             \
      const float *src = scratch ? scratch : o;                                                \
      if (j == 0) {                                                                            \
        src = o;                                                                               \
        init = accumulate ? (xt ? PROJ_INIT_SOURCE_SCALED_X : PROJ_INIT_SOURCE)                \
                          : xt ? PROJ_INIT_SCALED_X : PROJ_INIT_ZERO;                           \
      }                                                                                        \
      const float *uj = u + j * ldu + t;                                                       \
      int s = last && stream;                                                                  \
      PROJ_DISPATCH(g, PROJ_N_GROUP)                                                           \
    }                                                                                          \
  }                                                                                            \
  /* Streaming stores are weakly ordered: make them visible before the caller's next store. */ \
  if (stream) _mm_sfence();

PROJ_N_DRIVER("avx512f", avx512) {
#define PROJ_N_GROUP(G) proj_n_group_avx512(G, nt, head, uj, ldu, d + j, init, xt, beta, src, dst, s)
  PROJ_N_BODY(64)
#undef PROJ_N_GROUP
}

PROJ_N_DRIVER("avx2,fma", avx2) {
#define PROJ_N_GROUP(G) proj_n_group_avx2(G, nt, head, uj, ldu, d + j, init, xt, beta, src, dst, s)
  PROJ_N_BODY(32)
#undef PROJ_N_GROUP
}
#endif

int curvature_projection_supported(curvature_isa isa) {
#if defined(__x86_64__)
  return isa == CURVATURE_ISA_AVX512 || isa == CURVATURE_ISA_AVX2_FMA;
#else
  (void)isa;
  return 0;
#endif
}

void curvature_tsmv_t(curvature_isa isa, long n, long k, const float *u, long ldu, const float *x,
                      double *c) {
  if (n <= 0 || k <= 0) return;
#if defined(__x86_64__)
  if (isa == CURVATURE_ISA_AVX512) proj_t_avx512(n, k, u, ldu, x, c);
  else if (isa == CURVATURE_ISA_AVX2_FMA) proj_t_avx2(n, k, u, ldu, x, c);
#else
  (void)isa, (void)u, (void)ldu, (void)x, (void)c;
#endif
}

void curvature_tsmv_n(curvature_isa isa, long n, long k, const float *u, long ldu, const float *d,
                      const float *x, float beta, int accumulate, int stream, float *out) {
  if (n <= 0 || k <= 0) return;
#if defined(__x86_64__)
  if (isa == CURVATURE_ISA_AVX512) proj_n_avx512(n, k, u, ldu, d, x, beta, accumulate, stream, out);
  else if (isa == CURVATURE_ISA_AVX2_FMA) proj_n_avx2(n, k, u, ldu, d, x, beta, accumulate, stream, out);
#else
  (void)isa, (void)u, (void)ldu, (void)d, (void)x, (void)beta, (void)accumulate, (void)stream,
      (void)out;
#endif
}
