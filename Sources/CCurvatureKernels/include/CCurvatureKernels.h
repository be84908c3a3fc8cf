#ifndef CCURVATURE_KERNELS_H
#define CCURVATURE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// CPU feature levels for run-time dispatch of compute micro-kernels.
typedef enum {
  CURVATURE_ISA_BASELINE = 0,
  CURVATURE_ISA_AVX2_FMA = 1,
  CURVATURE_ISA_AVX512 = 2,
  CURVATURE_ISA_NEON = 3
} curvature_isa;

/// The best instruction set this CPU supports among the kernels compiled in.
curvature_isa curvature_detect_isa(void);

/// The number of online processors (at least 1).
long curvature_cpu_count(void);

/// A spin-wait hint to the CPU (`pause` on x86-64, `yield` on arm64): polling loops call it
/// between polls.
void curvature_cpu_relax(void);

/// Single-threaded row-major SGEMM C ← α op(A) op(B) + β C with the kernel for `isa`
/// (packing, cache blocking, register-blocked micro-kernel). C is not read when β = 0.
/// Requires m, n ≥ 0 and k ≥ 1. Any ISA this CPU does not support must not be passed.
void curvature_sgemm(curvature_isa isa, int transA, int transB, long m, long n, long k,
                     float alpha, const float *a, long lda, const float *b, long ldb, float beta,
                     float *c, long ldc);

/// Single-threaded C ← α (op(A₁) op(B₁) + op(A₂) op(B₂)) + β C: one product whose inner
/// dimension is the concatenation of k₁ (from A₁, B₁) and k₂ (from A₂, B₂), without copying the
/// operands; both products share the transposition flags. Requires k₁ ≥ 1, k₂ ≥ 0.
/// `triangle` 1 promises op(Aₜ)[i, p] = 0 for p > i, 2 promises it for p < i (in each term's
/// own inner index), so those products may be skipped; 0 promises nothing.
void curvature_sgemm2(curvature_isa isa, int transA, int transB, long m, long n, long k1,
                      float alpha, const float *a1, long lda1, const float *b1, long ldb1,
                      long k2, const float *a2, long lda2, const float *b2, long ldb2, float beta,
                      float *c, long ldc, int triangle);

/// Rows per micro-tile of the kernel for `isa` (row splits at multiples of it keep the
/// arithmetic of every element of C identical).
int curvature_sgemm_row_block(curvature_isa isa);

/// Estimated core clock (Hz) from a chain of dependent integer additions (0 if unavailable).
double curvature_probe_clock_hz(long iterations);

/// Measured single-core FMA throughput (FLOP/s) with 12 independent FMA chains for `isa`
/// (0 if the ISA has no vector FMA kernel).
double curvature_probe_fma_flops(curvature_isa isa, long iterations);

/// Whether `curvature_tsmv_t` / `curvature_tsmv_n` have a kernel for `isa` (AVX-512, AVX2+FMA).
int curvature_projection_supported(curvature_isa isa);

/// c[j] += Σ_{i<n} u[j·ldu + i]·x[i] for j < k (a column-major tall-skinny Uᵀx over n rows):
/// Float lanes per block of 512 rows, added into c in Double. Does nothing for an ISA without
/// a kernel. The summation order depends only on n and k.
void curvature_tsmv_t(curvature_isa isa, long n, long k, const float *u, long ldu, const float *x,
                      double *c);

/// out[i] = init[i] + Σ_{j<k} d[j]·u[j·ldu + i] for i < n, where init is out[i] + β·x[i] (one
/// fused multiply–add) when `accumulate` and x is non-null, out[i] when `accumulate`, β·x[i]
/// when x is non-null, else 0. Each element is computed by the same
/// sequence of fused multiply–adds (columns in order). `stream` writes the output with
/// non-temporal stores (for outputs much larger than the caches). `out` may equal `x`.
void curvature_tsmv_n(curvature_isa isa, long n, long k, const float *u, long ldu, const float *d,
                      const float *x, float beta, int accumulate, int stream, float *out);

/// Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) with transparent huge pages
/// (Linux `madvise(MADV_HUGEPAGE)`; nothing elsewhere or where refused). Call it before the
/// memory is first touched: one page fault then maps 2 MiB instead of 4 KiB.
void curvature_advise_huge_pages(void *p, size_t bytes);

/// max_{i<n} (bit pattern of x[i] with the sign bit cleared): the largest |x[i]| as a bit
/// pattern, ≥ 0x7F800000 exactly when some x[i] is NaN or ±∞ (0 for n = 0). Exact on every
/// path (AVX2 where available).
uint32_t curvature_largest_magnitude_bits(long n, const float *x);

/// `curvature_largest_magnitude_bits(n, x)`, and Σ x[i]² in `*sumsq` from the same pass: eight
/// Float lanes per block of 512 elements, each block's lanes added in Double in a fixed order
/// (deterministic; the AVX2 path fuses the multiply–adds, so its last bits may differ from the
/// portable path's). The largest magnitude is exact on both.
uint32_t curvature_magnitude_scan(long n, const float *x, double *sumsq);

/// Whether this CPU runs the half-precision kernels below (x86-64 with AVX2, FMA and F16C).
int curvature_half_supported(void);

/// h[i] ← x[i] rounded to IEEE binary16 (round to nearest, ties to even; bit patterns) for
/// i < n. Requires `curvature_half_supported()`.
void curvature_float_to_half(long n, const float *x, uint16_t *h);

/// x[i] ← h[i] (IEEE binary16 bit patterns, exact) for i < n. Requires
/// `curvature_half_supported()`.
void curvature_half_to_float(long n, const uint16_t *h, float *x);

/// Σ_{i<n} (h[i] as Float − x[i])², the differences exact in Float, their squares added in
/// Double in 8 lanes (a fixed order). Requires `curvature_half_supported()`.
double curvature_half_squared_error(long n, const float *x, const uint16_t *h);

/// `curvature_tsmv_t` for a binary16 U: c[j] += Σ_{i<n} u[j·ldu + i]·x[i] for j < k, Float
/// lanes per block of 512 rows added into c in Double. Requires `curvature_half_supported()`.
void curvature_tsmv_t_half(long n, long k, const uint16_t *u, long ldu, const float *x,
                           double *c);

/// out[i] ← init[i] + β·x[i] + Σ_{j<k} d[j]·u[j·ldu + i] for a binary16 U, where init is out[i]
/// when `accumulate` and 0 otherwise, and the β·x term is left out when x is null. Each element
/// goes through the same sequence of fused multiply–adds (β·x first, then columns in order).
/// `out` may equal `x`. Requires `curvature_half_supported()`.
void curvature_tsmv_n_half(long n, long k, const uint16_t *u, long ldu, const float *d,
                           const float *x, float beta, int accumulate, float *out);

/// Whether this CPU runs the block-scaled int8 kernels below (x86-64 with AVX2 and FMA).
int curvature_int8_supported(void);

/// One column of n entries as block-scaled int8: for each block b of 64 rows (the last may be
/// shorter) scales[b] = max_{i ∈ b} |x[i]| / 127 (in Float) and q[i] the integer nearest to
/// x[i] / scales[b] (ties to even, clamped to ±127; 0 in a block of zeros). Writes ⌈n/64⌉
/// scales and returns Σ_{i<n} (scales[i/64]·q[i] − x[i])², each term exact in Double, summed in
/// 8 Double lanes (a fixed order). Requires `curvature_int8_supported()`.
double curvature_float_to_int8(long n, const float *x, int8_t *q, float *scales);

/// `curvature_tsmv_t` for a block-scaled int8 U (column j at u + j·ldu, its block scales at
/// s + j·lds; the first row starts a block): c[j] += Σ_b s_jb·Σ_{i ∈ b} u_j[i]·x[i] for j < k,
/// each block's products in Float lanes, 8 blocks per Float run, each run's lanes added into c
/// in Double. Requires `curvature_int8_supported()`.
void curvature_tsmv_t_int8(long n, long k, const int8_t *u, long ldu, const float *s, long lds,
                           const float *x, double *c);

/// out[i] ← init[i] + β·x[i] + Σ_{j<k} (d[j]·s_jb)·u_j[i] for a block-scaled int8 U (layout as in
/// `curvature_tsmv_t_int8`), where init is out[i] when `accumulate` and 0 otherwise, and the
/// β·x term is left out when x is null. d[j]·s_jb is rounded to Float once per block; each
/// element then goes through the same sequence of fused multiply–adds (β·x first, then columns
/// in order). `out` may equal `x`. Requires `curvature_int8_supported()`.
void curvature_tsmv_n_int8(long n, long k, const int8_t *u, long ldu, const float *s, long lds,
                           const float *d, const float *x, float beta, int accumulate,
                           float *out);

#endif
