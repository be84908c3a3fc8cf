"""Peer for `Figures dense`: seconds NumPy's eigh (LAPACK syevd) takes on a random symmetric n×n
matrix with eigenvectors, best of 3, on the same two cores. Usage: python3 dense_eigh.py N"""
import sys
import time

import numpy as np

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
