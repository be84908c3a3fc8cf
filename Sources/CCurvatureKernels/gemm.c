#include "CCurvatureKernels.h"

#include <stdlib.h>

#define CURVATURE_GEMM_KC 256
#define CURVATURE_GEMM_NC 512

/// Per-thread scratch buffers (64-byte aligned), grown on demand and kept for reuse so that
/// repeated multiplies do not pay for allocation and page faults.
static float *curvature_scratch(int slot, size_t count) {
  static _Thread_local float *buffers[2];
  static _Thread_local size_t sizes[2];
  if (sizes[slot] < count) {
    free(buffers[slot]);
    size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
    buffers[slot] = aligned_alloc(64, bytes);
    sizes[slot] = buffers[slot] ? count : 0;
  }
  return buffers[slot];
}

#if defined(__x86_64__)
#define GEMM_SUFFIX avx512
#define GEMM_TARGET __attribute__((target("avx512f,fma")))
#define GEMM_VW 16
#define GEMM_MR 8
#include "gemm_template.h"
#undef GEMM_SUFFIX
#undef GEMM_TARGET
#undef GEMM_VW
#undef GEMM_MR

#define GEMM_SUFFIX avx2
#define GEMM_TARGET __attribute__((target("avx2,fma")))
#define GEMM_VW 8
#define GEMM_MR 6
#include "gemm_template.h"
#undef GEMM_SUFFIX
#undef GEMM_TARGET
#undef GEMM_VW
#undef GEMM_MR
#endif

#define GEMM_SUFFIX base
#define GEMM_TARGET
#define GEMM_VW 4
#define GEMM_MR 4
#include "gemm_template.h"
#undef GEMM_SUFFIX
#undef GEMM_TARGET
#undef GEMM_VW
#undef GEMM_MR

int curvature_sgemm_row_block(curvature_isa isa) {
  switch (isa) {
#if defined(__x86_64__)
  case CURVATURE_ISA_AVX512: return 8;
  case CURVATURE_ISA_AVX2_FMA: return 6;
#endif
  default: return 4;
  }
}

void curvature_sgemm(curvature_isa isa, int transA, int transB, long m, long n, long k,
                     float alpha, const float *a, long lda, const float *b, long ldb, float beta,
                     float *c, long ldc) {
  if (m <= 0 || n <= 0) return;
  switch (isa) {
#if defined(__x86_64__)
  case CURVATURE_ISA_AVX512:
    sgemm_avx512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  case CURVATURE_ISA_AVX2_FMA:
    sgemm_avx2(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
#endif
  default:
    sgemm_base(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
}

void curvature_sgemm2(curvature_isa isa, int transA, int transB, long m, long n, long k1,
                      float alpha, const float *a1, long lda1, const float *b1, long ldb1,
                      long k2, const float *a2, long lda2, const float *b2, long ldb2, float beta,
                      float *c, long ldc, int triangle) {
  if (m <= 0 || n <= 0) return;
  switch (isa) {
#if defined(__x86_64__)
  case CURVATURE_ISA_AVX512:
    sgemm2_avx512(transA, transB, m, n, k1, alpha, a1, lda1, b1, ldb1, k2, a2, lda2, b2, ldb2,
                  beta, c, ldc, triangle);
    return;
  case CURVATURE_ISA_AVX2_FMA:
    sgemm2_avx2(transA, transB, m, n, k1, alpha, a1, lda1, b1, ldb1, k2, a2, lda2, b2, ldb2,
                beta, c, ldc, triangle);
    return;
#endif
  default:
    sgemm2_base(transA, transB, m, n, k1, alpha, a1, lda1, b1, ldb1, k2, a2, lda2, b2, ldb2, beta,
                c, ldc, triangle);
    return;
  }
}
