// Reference bandwidth kernels for the figures: a STREAM triad with ordinary or streaming
// stores, and a read-only sum. Compiled per instruction set with function attributes and chosen
// at run time, like the library's kernels.
#include "CFigures.h"

#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void triad_avx512(float *a, const float *b,
                                                            const float *c, float s, long n,
                                                            int streaming) {
  __m512 sv = _mm512_set1_ps(s);
  long i = 0;
  if (streaming)
    for (; i < n && ((uintptr_t)(a + i) & 63); i++) a[i] = b[i] + s * c[i];
  if (streaming)
    for (; i + 16 <= n; i += 16)
      _mm512_stream_ps(a + i, _mm512_fmadd_ps(sv, _mm512_loadu_ps(c + i), _mm512_loadu_ps(b + i)));
  else
    for (; i + 16 <= n; i += 16)
      _mm512_storeu_ps(a + i, _mm512_fmadd_ps(sv, _mm512_loadu_ps(c + i), _mm512_loadu_ps(b + i)));
  for (; i < n; i++) a[i] = b[i] + s * c[i];
  if (streaming) _mm_sfence();
}

__attribute__((target("avx2,fma"))) static void triad_avx2(float *a, const float *b,
                                                           const float *c, float s, long n,
                                                           int streaming) {
  __m256 sv = _mm256_set1_ps(s);
  long i = 0;
  if (streaming)
    for (; i < n && ((uintptr_t)(a + i) & 31); i++) a[i] = b[i] + s * c[i];
  if (streaming)
    for (; i + 8 <= n; i += 8)
      _mm256_stream_ps(a + i, _mm256_fmadd_ps(sv, _mm256_loadu_ps(c + i), _mm256_loadu_ps(b + i)));
  else
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(a + i, _mm256_fmadd_ps(sv, _mm256_loadu_ps(c + i), _mm256_loadu_ps(b + i)));
  for (; i < n; i++) a[i] = b[i] + s * c[i];
  if (streaming) _mm_sfence();
}

__attribute__((target("avx512f"))) static double sum_avx512(const float *a, long n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  long i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(a + i));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(a + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_loadu_ps(a + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_loadu_ps(a + i + 48));
  }
  double t = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (; i < n; i++) t += a[i];
  return t;
}

__attribute__((target("avx2"))) static double sum_avx2(const float *a, long n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(a + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(a + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(a + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(a + i + 24));
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  double t = 0;
  for (int q = 0; q < 8; q++) t += lanes[q];
  for (; i < n; i++) t += a[i];
  return t;
}
#endif

static int figures_level(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

void figures_triad(float *a, const float *b, const float *c, float s, long n, int streaming) {
#if defined(__x86_64__)
  switch (figures_level()) {
  case 2: triad_avx512(a, b, c, s, n, streaming); return;
  case 1: triad_avx2(a, b, c, s, n, streaming); return;
  }
#endif
  (void)streaming;
  for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

double figures_sum(const float *a, long n) {
#if defined(__x86_64__)
  switch (figures_level()) {
  case 2: return sum_avx512(a, n);
  case 1: return sum_avx2(a, n);
  }
#endif
  double t = 0;
  for (long i = 0; i < n; i++) t += a[i];
  return t;
}

const char *figures_path(void) {
  switch (figures_level()) {
  case 2: return "avx512";
  case 1: return "avx2";
  default: return "scalar";
  }
}
