// One-pass scans of Float vectors, for the input checks on every optimizer step:
//   curvature_largest_magnitude_bits:  max_i (bits(x[i]) & 0x7FFFFFFF)
// With the sign bit cleared, finite Floats order as their bit patterns do as unsigned integers,
// and NaN and ±∞ are exactly the patterns ≥ 0x7F800000, so one unsigned maximum gives both the
// largest magnitude and whether every element is finite. The result is exact, so it is the same
// whichever path (AVX2 or portable) computes it and however the vector is split.

#include "CCurvatureKernels.h"

#include <stdint.h>
#include <string.h>

static uint32_t largest_bits_portable(long n, const float *x) {
  uint32_t m0 = 0, m1 = 0, m2 = 0, m3 = 0;
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t b[4];
    memcpy(b, x + i, sizeof b);
    b[0] &= 0x7FFFFFFFu, b[1] &= 0x7FFFFFFFu, b[2] &= 0x7FFFFFFFu, b[3] &= 0x7FFFFFFFu;
    m0 = b[0] > m0 ? b[0] : m0;
    m1 = b[1] > m1 ? b[1] : m1;
    m2 = b[2] > m2 ? b[2] : m2;
    m3 = b[3] > m3 ? b[3] : m3;
  }
  for (; i < n; i++) {
    uint32_t b;
    memcpy(&b, x + i, sizeof b);
    b &= 0x7FFFFFFFu;
    m0 = b > m0 ? b : m0;
  }
  m0 = m1 > m0 ? m1 : m0;
  m2 = m3 > m2 ? m3 : m2;
  return m2 > m0 ? m2 : m0;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static uint32_t largest_bits_avx2(long n, const float *x) {
  const __m256i clear = _mm256_set1_epi32(0x7FFFFFFF);
  __m256i m0 = _mm256_setzero_si256(), m1 = m0, m2 = m0, m3 = m0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_epu32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i)), clear));
    m1 = _mm256_max_epu32(m1, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i + 8)), clear));
    m2 = _mm256_max_epu32(m2, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i + 16)), clear));
    m3 = _mm256_max_epu32(m3, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i + 24)), clear));
  }
  m0 = _mm256_max_epu32(_mm256_max_epu32(m0, m1), _mm256_max_epu32(m2, m3));
  uint32_t lanes[8];
  _mm256_storeu_si256((__m256i *)lanes, m0);
  uint32_t m = largest_bits_portable(n - i, x + i);
  for (int q = 0; q < 8; q++) m = lanes[q] > m ? lanes[q] : m;
  return m;
}

uint32_t curvature_largest_magnitude_bits(long n, const float *x) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? largest_bits_avx2(n, x) : largest_bits_portable(n, x);
}

#else

uint32_t curvature_largest_magnitude_bits(long n, const float *x) {
  return largest_bits_portable(n, x);
}

#endif
