"""Helpers shared by the peer scripts in this folder (imported by name: the scripts run as
`python3 Peers/SCRIPT.py`, which puts this folder on the module path)."""

import time

import numpy as np


def times_ms(fn, reps):
    """Wall times in milliseconds of `reps` calls of `fn`, after one warm-up call (which also
    triggers JAX's compilation)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def median_ms(fn, reps):
    """The median of `times_ms(fn, reps)`."""
    return float(np.median(times_ms(fn, reps)))


def relative_difference(a, b, floor=1e-300):
    """‖a − b‖ / max(‖b‖, floor): the difference relative to the reference `b`."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), floor))
