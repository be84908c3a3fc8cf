// One-pass scans of Float vectors, for the input checks on every optimizer step:
//   curvature_largest_magnitude_bits:  max_i (bits(x[i]) & 0x7FFFFFFF)
//   curvature_magnitude_scan:          the same and Σ x[i]², in one pass
// With the sign bit cleared, finite Floats order as their bit patterns do as unsigned integers,
// and NaN and ±∞ are exactly the patterns ≥ 0x7F800000, so one unsigned maximum gives both the
// largest magnitude and whether every element is finite. That maximum is exact, so it is the
// same whichever path (AVX2 or portable) computes it and however the vector is split; the sum
// of squares has a fixed order on each path.

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

/// Σ x² over n elements in Double: Float lanes per block of 512 elements, each block flushed to
/// Double.
static uint32_t magnitude_scan_portable(long n, const float *x, double *sumsq) {
  double total = 0;
  for (long b = 0; b < n; b += 512) {
    long e = b + 512 < n ? b + 512 : n;
    float lanes[8] = {0};
    long i = b;
    for (; i + 8 <= e; i += 8)
      for (int q = 0; q < 8; q++) lanes[q] += x[i + q] * x[i + q];
    for (int q = 0; i < e; i++, q++) lanes[q] += x[i] * x[i];
    double block = 0;
    for (int q = 0; q < 8; q++) block += lanes[q];
    total += block;
  }
  *sumsq = total;
  return largest_bits_portable(n, x);
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

/// The AVX2 + FMA form of magnitude_scan_portable: the same blocks and the same eight Float
/// lanes (lane q holds the elements i ≡ q mod 8 of a block), with fused multiply–adds.
__attribute__((target("avx2,fma"))) static uint32_t magnitude_scan_avx2(long n, const float *x,
                                                                         double *sumsq) {
  const __m256i clear = _mm256_set1_epi32(0x7FFFFFFF);
  __m256i m = _mm256_setzero_si256();
  double total = 0;
  for (long b = 0; b < n; b += 512) {
    long e = b + 512 < n ? b + 512 : n;
    __m256 a = _mm256_setzero_ps();
    long i = b;
    for (; i + 8 <= e; i += 8) {
      __m256 v = _mm256_loadu_ps(x + i);
      m = _mm256_max_epu32(m, _mm256_and_si256(_mm256_castps_si256(v), clear));
      a = _mm256_fmadd_ps(v, v, a);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, a);
    for (int q = 0; i < e; i++, q++) lanes[q] += x[i] * x[i];
    double block = 0;
    for (int q = 0; q < 8; q++) block += lanes[q];
    total += block;
  }
  *sumsq = total;
  uint32_t bits[8];
  _mm256_storeu_si256((__m256i *)bits, m);
  uint32_t largest = largest_bits_portable(n % 8, x + n - n % 8);
  for (int q = 0; q < 8; q++) largest = bits[q] > largest ? bits[q] : largest;
  return largest;
}

uint32_t curvature_magnitude_scan(long n, const float *x, double *sumsq) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
             ? magnitude_scan_avx2(n, x, sumsq)
             : magnitude_scan_portable(n, x, sumsq);
}

uint32_t curvature_largest_magnitude_bits(long n, const float *x) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? largest_bits_avx2(n, x) : largest_bits_portable(n, x);
}

#else

uint32_t curvature_largest_magnitude_bits(long n, const float *x) {
  return largest_bits_portable(n, x);
}

uint32_t curvature_magnitude_scan(long n, const float *x, double *sumsq) {
  return magnitude_scan_portable(n, x, sumsq);
}

#endif
