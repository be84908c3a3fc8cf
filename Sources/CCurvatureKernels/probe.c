#include "CCurvatureKernels.h"

#include <time.h>

static double curvature_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double curvature_probe_clock_hz(long iterations) {
#if defined(__x86_64__)
  // A chain of dependent integer additions retires one per cycle on every x86-64 core.
  unsigned long x = 0;
  double start = curvature_now();
  for (long i = 0; i < iterations; i++) {
    __asm__ volatile(
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        : "+r"(x));
  }
  double elapsed = curvature_now() - start;
  return elapsed > 0 ? (double)(16 * iterations) / elapsed : 0;
#else
  (void)iterations;
  return 0;
#endif
}

#if defined(__x86_64__)
typedef float curvature_v16 __attribute__((ext_vector_type(16)));
typedef float curvature_v8 __attribute__((ext_vector_type(8)));

__attribute__((target("avx512f,fma"))) static double probe_avx512(long iterations) {
  curvature_v16 acc[12];
  for (int r = 0; r < 12; r++) acc[r] = (float)r * 1e-3f;
  curvature_v16 m = 0.999999f, d = 1e-7f;
  for (long i = 0; i < iterations; i++) {
    for (int r = 0; r < 12; r++) acc[r] = acc[r] * m + d;
    __asm__ volatile("" : "+v"(m));
  }
  curvature_v16 s = 0;
  for (int r = 0; r < 12; r++) s += acc[r];
  volatile float sink = s[0];
  (void)sink;
  return 12.0 * 16.0 * 2.0 * (double)iterations;
}

__attribute__((target("avx2,fma"))) static double probe_avx2(long iterations) {
  curvature_v8 acc[12];
  for (int r = 0; r < 12; r++) acc[r] = (float)r * 1e-3f;
  curvature_v8 m = 0.999999f, d = 1e-7f;
  for (long i = 0; i < iterations; i++) {
    for (int r = 0; r < 12; r++) acc[r] = acc[r] * m + d;
    __asm__ volatile("" : "+v"(m));
  }
  curvature_v8 s = 0;
  for (int r = 0; r < 12; r++) s += acc[r];
  volatile float sink = s[0];
  (void)sink;
  return 12.0 * 8.0 * 2.0 * (double)iterations;
}
#endif

double curvature_probe_fma_flops(curvature_isa isa, long iterations) {
  double start = curvature_now();
  double flops = 0;
  switch (isa) {
#if defined(__x86_64__)
  case CURVATURE_ISA_AVX512: flops = probe_avx512(iterations); break;
  case CURVATURE_ISA_AVX2_FMA: flops = probe_avx2(iterations); break;
#endif
  default: return 0;
  }
  double elapsed = curvature_now() - start;
  return elapsed > 0 ? flops / elapsed : 0;
}
