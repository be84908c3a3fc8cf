#ifndef CFIGURES_H
#define CFIGURES_H

/// a[i] = b[i] + s·c[i] for i < n with the widest vectors this CPU has (AVX-512, AVX2 or
/// scalar). `streaming` writes a with non-temporal stores (no read-for-ownership of a), as
/// STREAM builds that use streaming stores do.
void figures_triad(float *a, const float *b, const float *c, float s, long n, int streaming);

/// Σ a[i] for i < n (a read-only pass), with the widest vectors this CPU has.
double figures_sum(const float *a, long n);

/// Name of the vector path the two functions above use ("avx512", "avx2" or "scalar").
const char *figures_path(void);

#endif
