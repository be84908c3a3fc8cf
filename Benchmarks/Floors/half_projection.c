// The floor of the projection passes of a Bulk-SGD step for two layouts of the basis U
// (P × k, column-major): Float32 as the library stores it, and Float16 (half the bytes; at
// P = 1.1M, k = 10 it is 22.5 MB and can stay in a 32 MiB L3). Each layout is timed for the
// two passes a projected step needs, c = Uᵀg and out = g − U c, on both cores, interleaved,
// best of N repetitions. This is a bound on what a half-precision basis could gain, measured
// without the library around it.
//
//   cc -O3 -mavx2 -mfma -mf16c -fopenmp Benchmarks/Floors/half_projection.c -lm -o /tmp/halfproj
//   /tmp/halfproj [P] [k] [repetitions]
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "projection_floor.h"

int main(int argc, char **argv) {
  long p = argc > 1 ? atol(argv[1]) : 1127410;
  int k = argc > 2 ? atoi(argv[2]) : 10;
  int reps = argc > 3 ? atoi(argv[3]) : 20;
  p = (p + 7) / 8 * 8;  // whole vectors (the floor, not the tails)
  float *u = aligned_alloc(64, sizeof(float) * p * k);
  uint16_t *h = aligned_alloc(64, sizeof(uint16_t) * p * k);
  float *g = aligned_alloc(64, sizeof(float) * p);
  float *out = aligned_alloc(64, sizeof(float) * p);
  srand(1);
  for (long i = 0; i < p * k; i++) u[i] = (float)rand() / RAND_MAX - 0.5f;
  for (long i = 0; i < p * k; i += 8)
    _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(u + i), 0));
  for (long i = 0; i < p; i++) g[i] = (float)rand() / RAND_MAX - 0.5f;
  double c32[64], c16[64];
  double best[4] = {1e9, 1e9, 1e9, 1e9};
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    ut_f32(p, k, u, g, c32);
    double t1 = now();
    un_f32(p, k, u, c32, g, out);
    double t2 = now();
    ut_f16(p, k, h, g, c16);
    double t3 = now();
    un_f16(p, k, h, c16, g, out);
    double t4 = now();
    double d[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
    for (int q = 0; q < 4; q++) if (d[q] < best[q]) best[q] = d[q];
  }
  double err = 0, norm = 0;
  for (int j = 0; j < k; j++) {
    err += (c32[j] - c16[j]) * (c32[j] - c16[j]);
    norm += c32[j] * c32[j];
  }
  printf("P = %ld, k = %d, %d threads, best of %d\n", p, k, omp_get_max_threads(), reps);
  printf("| layout | Uᵀg ms | g − Uc ms | both ms | basis MB | ‖Δc‖/‖c‖ |\n|---|---:|---:|---:|---:|---:|\n");
  printf("| Float32 | %.2f | %.2f | %.2f | %.1f | – |\n", best[0] * 1e3, best[1] * 1e3,
         (best[0] + best[1]) * 1e3, 4e-6 * p * k);
  printf("| Float16 | %.2f | %.2f | %.2f | %.1f | %.1e |\n", best[2] * 1e3, best[3] * 1e3,
         (best[2] + best[3]) * 1e3, 2e-6 * p * k, err > 0 ? __builtin_sqrt(err / norm) : 0.0);
  return 0;
}
