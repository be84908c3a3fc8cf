"""Peer for `Figures dense`: seconds NumPy's eigh (LAPACK syevd) takes on a random symmetric n×n
matrix with eigenvectors, best of 3, on the same two cores. Usage: python3 dense_eigh.py N"""
import os
import sys
import time

# The same two cores as the Swift side, no oversubscription.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402

n = int(sys.argv[1])
rng = np.random.default_rng(n)
b = rng.standard_normal((n, n))
a = np.tril(b) + np.tril(b, -1).T
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    np.linalg.eigh(a)
    best = min(best, time.perf_counter() - t)
print(best)
