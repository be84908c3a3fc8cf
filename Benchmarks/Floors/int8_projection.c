// The floor of the two projection passes of a Bulk-SGD step (c = Uᵀg, then out = g − U c) for
// three layouts of the basis U (P × k, column-major): Float32 as the library stores it, Float16
// (the library's `BasisPrecision.half` copy), and int8 with one Float scale per 64 rows of a
// column (a quarter of the bytes; not in the library). Each layout is timed for both passes on
// both cores, best of N repetitions; with `evict` 1 a gradient-like pass (read w, write g, twice)
// runs before each layout's passes, as in a training loop. The relative errors of Uᵀg against
// Float32 are printed for the two reduced layouts.
//
//   cc -O3 -mavx2 -mfma -mf16c -fopenmp Benchmarks/Floors/int8_projection.c -lm -o /tmp/int8proj
//   /tmp/int8proj [P] [k] [repetitions] [evict 0|1]
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>

#include "projection_floor.h"

#define QB 64
// c = Uᵀg, int8 U with one float scale per QB rows of a column.
static void ut_i8(long p, int k, const int8_t *u, const float *s, const float *g, double *c) {
  for (int j = 0; j < k; j++) c[j] = 0;
#pragma omp parallel
  {
    double local[64] = {0};
#pragma omp for schedule(static)
    for (long t = 0; t < p; t += TILE) {
      long e = t + TILE < p ? t + TILE : p;
      for (int j = 0; j < k; j++) {
        __m256 a = _mm256_setzero_ps();
        const int8_t *col = u + (long)j * p;
        const float *sc = s + (long)j * (p / QB);
        for (long b = t; b < e; b += QB) {
          __m256 x = _mm256_setzero_ps();
          for (long i = b; i < b + QB; i += 8) {
            __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(col + i))));
            x = _mm256_fmadd_ps(q, _mm256_loadu_ps(g + i), x);
          }
          a = _mm256_fmadd_ps(_mm256_set1_ps(sc[b / QB]), x, a);
        }
        float r[8];
        _mm256_storeu_ps(r, a);
        double d = 0;
        for (int q = 0; q < 8; q++) d += r[q];
        local[j] += d;
      }
    }
#pragma omp critical
    for (int j = 0; j < k; j++) c[j] += local[j];
  }
}
static void un_i8(long p, int k, const int8_t *u, const float *s, const double *c, const float *g, float *out) {
#pragma omp parallel for schedule(static)
  for (long t = 0; t < p; t += TILE) {
    long e = t + TILE < p ? t + TILE : p;
    for (long b = t; b < e; b += QB) {
      __m256 e8[64];
      for (int j = 0; j < k; j++) e8[j] = _mm256_set1_ps((float)c[j] * s[(long)j * (p / QB) + b / QB]);
      for (long i = b; i < b + QB; i += 8) {
        __m256 a = _mm256_loadu_ps(g + i);
        for (int j = 0; j < k; j++)
          a = _mm256_fnmadd_ps(e8[j], _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(u + (long)j * p + i)))), a);
        _mm256_storeu_ps(out + i, a);
      }
    }
  }
}
static void traffic(long p, const float *w, float *g, float *h) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < p; i++) { g[i] = w[i] * 0.5f + h[i]; }
#pragma omp parallel for schedule(static)
  for (long i = 0; i < p; i++) { h[i] = w[i] * 0.25f + g[i]; }
}
int main(int argc, char **argv) {
  long p = argc > 1 ? atol(argv[1]) : 1127410;
  int k = argc > 2 ? atoi(argv[2]) : 10;
  int reps = argc > 3 ? atoi(argv[3]) : 20;
  int evict = argc > 4 ? atoi(argv[4]) : 0;
  p = (p + QB - 1) / QB * QB;
  float *u = aligned_alloc(64, sizeof(float) * p * k);
  uint16_t *h = aligned_alloc(64, sizeof(uint16_t) * p * k);
  int8_t *q8 = aligned_alloc(64, p * k);
  float *s8 = aligned_alloc(64, sizeof(float) * p * k / QB);
  float *g = aligned_alloc(64, sizeof(float) * p);
  float *w = aligned_alloc(64, sizeof(float) * p);
  float *hh = aligned_alloc(64, sizeof(float) * p);
  float *out = aligned_alloc(64, sizeof(float) * p);
  srand(1);
  for (long i = 0; i < p * k; i++) u[i] = (float)rand() / RAND_MAX - 0.5f;
  for (long i = 0; i < p * k; i += 8)
    _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(u + i), 0));
  for (int j = 0; j < k; j++) for (long b = 0; b < p; b += QB) {
    float m = 0; for (long i = b; i < b + QB; i++) { float a = __builtin_fabsf(u[(long)j*p+i]); if (a > m) m = a; }
    float sc = m / 127; s8[(long)j*(p/QB) + b/QB] = sc;
    for (long i = b; i < b + QB; i++) q8[(long)j*p+i] = (int8_t)__builtin_lrintf(sc > 0 ? u[(long)j*p+i] / sc : 0);
  }
  for (long i = 0; i < p; i++) { g[i] = (float)rand() / RAND_MAX - 0.5f; w[i] = g[i]; hh[i] = g[i]; }
  double c32[64], c16[64], c8[64];
  double best[6] = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
  for (int r = 0; r < reps; r++) {
    if (evict) traffic(p, w, g, hh);
    double t0 = now();
    ut_f32(p, k, u, g, c32);
    un_f32(p, k, u, c32, g, out);
    double t1 = now();
    if (evict) traffic(p, w, g, hh);
    double t2 = now();
    ut_f16(p, k, h, g, c16);
    un_f16(p, k, h, c16, g, out);
    double t3 = now();
    if (evict) traffic(p, w, g, hh);
    double t4 = now();
    ut_i8(p, k, q8, s8, g, c8);
    un_i8(p, k, q8, s8, c8, g, out);
    double t5 = now();
    double d[3] = {t1 - t0, t3 - t2, t5 - t4};
    for (int q = 0; q < 3; q++) if (d[q] < best[q]) best[q] = d[q];
  }
  // The errors on one g (the gradient-like passes change g between the layouts above).
  ut_f32(p, k, u, g, c32);
  ut_f16(p, k, h, g, c16);
  ut_i8(p, k, q8, s8, g, c8);
  double e16 = 0, e8 = 0, norm = 0;
  for (int j = 0; j < k; j++) {
    e16 += (c32[j] - c16[j]) * (c32[j] - c16[j]);
    e8 += (c32[j] - c8[j]) * (c32[j] - c8[j]);
    norm += c32[j] * c32[j];
  }
  printf("P=%ld k=%d threads=%d evict=%d: f32 %.2f ms, f16 %.2f ms, i8 %.2f ms (both passes); err16 %.1e err8 %.1e\n", p, k, omp_get_max_threads(), evict, best[0]*1e3, best[1]*1e3, best[2]*1e3, sqrt(e16/norm), sqrt(e8/norm));
  return 0;
}
