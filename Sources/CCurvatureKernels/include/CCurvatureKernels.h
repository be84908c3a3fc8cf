#ifndef CCURVATURE_KERNELS_H
#define CCURVATURE_KERNELS_H

/// CPU feature levels for run-time dispatch of compute micro-kernels.
typedef enum {
  CURVATURE_ISA_BASELINE = 0,
  CURVATURE_ISA_AVX2_FMA = 1,
  CURVATURE_ISA_AVX512 = 2,
  CURVATURE_ISA_NEON = 3
} curvature_isa;

/// The best instruction set this CPU supports among the kernels compiled in.
curvature_isa curvature_detect_isa(void);

#endif
