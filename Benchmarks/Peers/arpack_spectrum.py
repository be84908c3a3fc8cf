#!/usr/bin/env python3
"""Curvature's thick-restart Lanczos against SciPy's ARPACK (eigsh, which='LA').

One command (from the repository root):

    python3 Benchmarks/Peers/arpack_spectrum.py [--dimension 20000] [--k 1,10,50]

Builds Hessian-like operators H = Q diag(lam) Q^T with Q a product of four random Householder
reflections (O(P) products): "outliers" (k_max outliers over a Marchenko-Pastur bulk) and
"powerlaw" (lam_i = i^-0.8). The spectrum and reflections are saved as .npy files, so the
Swift side (`swift run -c release Figures spectrum --cases DIR ...`) builds the identical
operator. ARPACK is counted through a LinearOperator; both sides stop at the same relative
residual tolerance (see Benchmarks/README.md). Prints ratios ours/ARPACK for products and time.
"""
import argparse, json, os, subprocess, sys, tempfile, time
import numpy as np
import scipy
from scipy.sparse.linalg import LinearOperator, eigsh

def make_cases(p, seed, kmax):
    rng = np.random.default_rng(seed)
    cases = {}
    # Marchenko-Pastur bulk (ratio 1/2) by the quantiles of the MP law, plus kmax outliers.
    ratio = 0.5
    a, b = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    x = np.linspace(a, b, 20001)
    dens = np.sqrt(np.maximum((b - x) * (x - a), 0)) / (2 * np.pi * ratio * x)
    cdf = np.cumsum(dens); cdf /= cdf[-1]
    bulk = np.interp((np.arange(p) + 0.5) / p, cdf, x)
    lam = np.sort(bulk)[::-1].copy()
    lam[:kmax] = b * np.geomspace(20, 1.5, kmax)
    cases["outliers"] = lam
    cases["powerlaw"] = 1.0 / np.arange(1, p + 1) ** 0.8
    refl = rng.standard_normal((4, p))
    refl /= np.linalg.norm(refl, axis=1, keepdims=True)
    return cases, refl

def operator(lam, refl):
    def mv(v):
        y = np.array(v, dtype=np.float64).reshape(-1)
        for h in refl: y -= 2 * (h @ y) * h
        y *= lam
        for h in refl[::-1]: y -= 2 * (h @ y) * h
        return y
    return mv

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dimension", type=int, default=20000)
    ap.add_argument("--k", default="1,10,50")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ks = [int(s) for s in args.k.split(",")]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    work = tempfile.mkdtemp(prefix="curvature-spectrum-")
    cases, refl = make_cases(args.dimension, args.seed, max(ks))
    for name, lam in cases.items():
        np.save(os.path.join(work, f"{name}_lambda.npy"), lam)
        np.save(os.path.join(work, f"{name}_reflections.npy"), refl)
    out = os.path.join(work, "ours.json")
    cmd = ["swift", "run", "-c", "release", "--package-path", os.path.join(root, "Benchmarks"),
           "Figures", "spectrum", "--cases", work, "--names", ",".join(cases), "--k", args.k,
           "--tolerance", str(args.tolerance), "--json", out]
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    ours = json.load(open(out))
    print(f"P = {args.dimension}, tolerance {args.tolerance}, scipy {scipy.__version__}, numpy {np.__version__}")
    print("| spectrum | k | ours HVPs | ARPACK HVPs | ratio | ours s | ARPACK s | time ratio | max rel. eigenvalue diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, lam in cases.items():
        mv = operator(lam, refl)
        for k in ks:
            count = [0]
            def counted(v):
                count[0] += 1
                return mv(v)
            A = LinearOperator((args.dimension, args.dimension), matvec=counted, dtype=np.float64)
            v0 = np.random.default_rng(1).standard_normal(args.dimension)
            t0 = time.perf_counter()
            w, _ = eigsh(A, k=k, which="LA", tol=args.tolerance, v0=v0)
            ta = time.perf_counter() - t0
            mine = next(r for r in ours if r["case"] == name and r["k"] == k and r["kind"] == "lanczos")
            exact = np.sort(lam)[::-1][:k]
            diff = max(abs(np.array(mine["eigenvalues"]) - exact) / np.abs(exact))
            print(f"| {name} | {k} | {mine['matvecs']} | {count[0]} | {mine['matvecs'] / count[0]:.2f} | "
                  f"{mine['seconds']:.3f} | {ta:.3f} | {mine['seconds'] / ta:.2f} | {diff:.1e} |")
    print()
    print("Warm start after a 1% relative-Frobenius perturbation (ours, same tolerance):")
    print("| spectrum | k | cold HVPs | warm HVPs | cold/warm |")
    print("|---|---|---|---|---|")
    for r in ours:
        if r["kind"] == "warm":
            print(f"| {r['case']} | {r['k']} | {r['cold']} | {r['warm']} | {r['cold'] / r['warm']:.2f} |")
    print()
    print("Block Lanczos (block 4) against single-vector Lanczos (ours):")
    print("| spectrum | k | single HVPs | block HVPs | single s | block s |")
    print("|---|---|---|---|---|---|")
    for r in ours:
        if r["kind"] == "block4":
            s = next(x for x in ours if x["case"] == r["case"] and x["k"] == r["k"] and x["kind"] == "lanczos")
            print(f"| {r['case']} | {r['k']} | {s['matvecs']} | {r['matvecs']} | {s['seconds']:.3f} | {r['seconds']:.3f} |")

if __name__ == "__main__":
    main()
