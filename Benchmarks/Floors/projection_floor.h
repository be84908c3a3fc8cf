// The Float32 and Float16 projection kernels shared by the floor measurements
// (half_projection.c, int8_projection.c): c = Uᵀg and out = g − U c for a column-major U, on
// all cores (OpenMP), in tiles of TILE rows.
#ifndef CURVATURE_FLOORS_PROJECTION_FLOOR_H
#define CURVATURE_FLOORS_PROJECTION_FLOOR_H
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define TILE 32768

// c = Uᵀg, Float32 U.
static void ut_f32(long p, int k, const float *u, const float *g, double *c) {
  for (int j = 0; j < k; j++) c[j] = 0;
#pragma omp parallel
  {
    double local[64] = {0};
#pragma omp for schedule(static)
    for (long t = 0; t < p; t += TILE) {
      long e = t + TILE < p ? t + TILE : p;
      for (int j = 0; j < k; j++) {
        __m256 a = _mm256_setzero_ps();
        const float *col = u + (long)j * p;
        long i = t;
        for (; i + 8 <= e; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(col + i), _mm256_loadu_ps(g + i), a);
        float s[8];
        _mm256_storeu_ps(s, a);
        double d = 0;
        for (int q = 0; q < 8; q++) d += s[q];
        for (; i < e; i++) d += col[i] * g[i];
        local[j] += d;
      }
    }
#pragma omp critical
    for (int j = 0; j < k; j++) c[j] += local[j];
  }
}

// c = Uᵀg, Float16 U.
static void ut_f16(long p, int k, const uint16_t *u, const float *g, double *c) {
  for (int j = 0; j < k; j++) c[j] = 0;
#pragma omp parallel
  {
    double local[64] = {0};
#pragma omp for schedule(static)
    for (long t = 0; t < p; t += TILE) {
      long e = t + TILE < p ? t + TILE : p;
      for (int j = 0; j < k; j++) {
        __m256 a = _mm256_setzero_ps();
        const uint16_t *col = u + (long)j * p;
        long i = t;
        for (; i + 8 <= e; i += 8)
          a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(col + i))),
                              _mm256_loadu_ps(g + i), a);
        float s[8];
        _mm256_storeu_ps(s, a);
        double d = 0;
        for (int q = 0; q < 8; q++) d += s[q];
        local[j] += d;
      }
    }
#pragma omp critical
    for (int j = 0; j < k; j++) c[j] += local[j];
  }
}

// out = g − U c, Float32 U.
static void un_f32(long p, int k, const float *u, const double *c, const float *g, float *out) {
#pragma omp parallel for schedule(static)
  for (long t = 0; t < p; t += TILE) {
    long e = t + TILE < p ? t + TILE : p;
    for (long i = t; i < e; i += 8) {
      __m256 a = _mm256_loadu_ps(g + i);
      for (int j = 0; j < k; j++)
        a = _mm256_fnmadd_ps(_mm256_set1_ps((float)c[j]), _mm256_loadu_ps(u + (long)j * p + i), a);
      _mm256_storeu_ps(out + i, a);
    }
  }
}

// out = g − U c, Float16 U.
static void un_f16(long p, int k, const uint16_t *u, const double *c, const float *g, float *out) {
#pragma omp parallel for schedule(static)
  for (long t = 0; t < p; t += TILE) {
    long e = t + TILE < p ? t + TILE : p;
    for (long i = t; i < e; i += 8) {
      __m256 a = _mm256_loadu_ps(g + i);
      for (int j = 0; j < k; j++)
        a = _mm256_fnmadd_ps(
            _mm256_set1_ps((float)c[j]),
            _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(u + (long)j * p + i))), a);
      _mm256_storeu_ps(out + i, a);
    }
  }
}

#endif
