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

#if defined(__linux__)
#include <sys/mman.h>
#endif

void curvature_advise_huge_pages(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)1 << 21;
  uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}
