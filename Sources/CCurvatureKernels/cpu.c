#include "CCurvatureKernels.h"

curvature_isa curvature_detect_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return CURVATURE_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CURVATURE_ISA_AVX2_FMA;
  return CURVATURE_ISA_BASELINE;
#elif defined(__aarch64__)
  return CURVATURE_ISA_NEON;
#else
  return CURVATURE_ISA_BASELINE;
#endif
}

#include <unistd.h>

long curvature_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? n : 1;
}

void curvature_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
