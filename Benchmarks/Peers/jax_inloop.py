"""In-loop tracking side by side: `curvature train` against the same tracked Bulk-SGD in JAX.

Both sides train the MLP 64-W-W-10 (tanh, W = 1024: P = 1,126,410) on all 1,797 digits with
minibatch 64, η = 0.1 and `--steps` steps, once with plain SGD and once with Bulk-SGD whose
top-10 Hessian eigenbasis is refreshed every 100 steps on the current minibatch's Hessian
(the first refresh at step 0). Ours runs `curvature train` with its default tracking settings
(no tracking flags); the JAX peer refreshes with SciPy ARPACK (`eigsh`, which="LA", tolerance
10⁻³) on jitted JAX Hessian-vector products, warm-started with v0 = the sum of the previous
basis vectors. The four runs are interleaved (ours SGD, ours Bulk-SGD, JAX SGD, JAX Bulk-SGD)
in every repetition, and the load average is recorded before and after.

Reported per side: training-loop seconds (the minimum over repetitions), time ÷ the same side's
SGD, HVPs, final full-data loss ÷ the same side's SGD; and ours ÷ JAX for the tracked run.
With `--overlap` each side's final basis is also compared with the exact top-10 eigenspace of
the full-data Hessian at its own final parameters (ARPACK on JAX products, tolerance 10⁻³):
overlap = ‖UᵀV‖²_F / k.

    swift build -c release --product curvature
    python3 Benchmarks/Peers/jax_inloop.py --curvature .build/release/curvature \
        [--width 1024] [--steps 500] [--repeats 2] [--overlap] [--json FILE]

Needs `pip install "jax[cpu]" scipy`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from scipy.sparse.linalg import LinearOperator, eigsh  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "..", "Sources", "CurvatureModels", "Resources", "digits.csv")


def load_digits():
    rows = np.loadtxt(DIGITS, delimiter=",")
    return rows[:, :64].astype(np.float32) / 16, rows[:, 64].astype(np.int32)


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


class JaxMLP:
    """The MLP in the same parameter layout as Curvature's (per layer: weight nout×nin, bias)."""

    def __init__(self, sizes, x, y):
        self.sizes = sizes
        self.x, self.y = jnp.asarray(x), jnp.asarray(y)
        self.p = sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:]))

        def loss(w, xb, yb):
            h, p = xb, 0
            for l, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:])):
                weight = w[p : p + nout * nin].reshape(nout, nin)
                p += nout * nin
                h = h @ weight.T + w[p : p + nout]
                p += nout
                if l < len(sizes) - 2:
                    h = jnp.tanh(h)
            logz = jax.nn.logsumexp(h, axis=1)
            return jnp.mean(logz - jnp.take_along_axis(h, yb[:, None], axis=1)[:, 0])

        self.loss = jax.jit(loss)
        self.grad = jax.jit(jax.grad(loss))
        self.hvp = jax.jit(lambda w, v, xb, yb: jax.jvp(lambda u: jax.grad(loss)(u, xb, yb), (w,), (v,))[1])
        self.sgd = jax.jit(lambda w, g, eta: w - eta * g)
        self.bulk = jax.jit(lambda w, g, u, eta: w - eta * (g - u @ (u.T @ g)))

    def initial(self, seed):
        rng = np.random.default_rng(seed)
        parts = []
        for nin, nout in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1 / np.sqrt(nin)
            parts.append(rng.uniform(-bound, bound, nout * nin + nout))
        return jnp.asarray(np.concatenate(parts).astype(np.float32))

    def top(self, w, xb, yb, k, v0, tol):
        """Top-k eigenpairs of the Hessian over (xb, yb) by ARPACK; returns (U float32, λ, HVPs)."""
        count = [0]

        def matvec(u):
            count[0] += 1
            return np.asarray(self.hvp(w, jnp.asarray(u, dtype=jnp.float32), xb, yb), dtype=np.float64)

        op = LinearOperator((self.p, self.p), matvec=matvec, dtype=np.float64)
        vals, vecs = eigsh(op, k=k, which="LA", tol=tol, v0=v0)
        order = np.argsort(vals)[::-1]
        return jnp.asarray(vecs[:, order].astype(np.float32)), vals[order], count[0]


def jax_run(model, w0, steps, tracked, k=10, interval=100, batch=64, eta=0.1, seed=4):
    n = model.x.shape[0]
    rng = np.random.default_rng(seed)
    w, u, products, refreshes = w0, None, 0, 0
    t0 = time.perf_counter()
    for step in range(steps):
        idx = jnp.asarray(rng.integers(0, n, batch))
        xb, yb = model.x[idx], model.y[idx]
        g = model.grad(w, xb, yb)
        if tracked:
            if step % interval == 0:
                v0 = None if u is None else np.asarray(u.sum(axis=1), dtype=np.float64)
                u, _, count = model.top(w, xb, yb, k, v0, 1e-3)
                products += count
                refreshes += 1
            w = model.bulk(w, g, u, eta)
        else:
            w = model.sgd(w, g, eta)
    w.block_until_ready()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "loss": float(model.loss(w, model.x, model.y)), "hvps": products,
            "refreshes": refreshes, "basis": u, "parameters": w}


def ours_run(curvature, width, steps, optimizer, save):
    command = [curvature, "train", "--model", f"mlp:64,{width},{width},10:tanh", "--dataset", "digits",
               "--test-fraction", "0", "--optimizer", optimizer, "--steps", str(steps), "--json"]
    if save:
        command += ["--save", save]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    record = json.loads(out)
    record = record.get("runs", [record])[0] if "runs" in record else record
    return {"seconds": record["seconds"], "loss": record["final_loss"], "hvps": record["hvps"],
            "refreshes": record["refreshes"], "command": " ".join(command)}


def overlap(model, w, u, k=10):
    exact, _, _ = model.top(w, model.x, model.y, k, None, 1e-3)
    m = np.asarray(u, dtype=np.float64).T @ np.asarray(exact, dtype=np.float64)
    return float(np.sum(m * m) / k)


def main(args):
    curvature, width, steps, repeats, json_path, with_overlap = None, 1024, 500, 2, None, False
    while args:
        a = args.pop(0)
        if a == "--curvature":
            curvature = args.pop(0)
        elif a == "--width":
            width = int(args.pop(0))
        elif a == "--steps":
            steps = int(args.pop(0))
        elif a == "--repeats":
            repeats = int(args.pop(0))
        elif a == "--json":
            json_path = args.pop(0)
        elif a == "--overlap":
            with_overlap = True
        else:
            sys.exit(f"unknown option {a}")
    if curvature is None:
        sys.exit("--curvature PATH (the release `curvature` binary) is required")
    x, y = load_digits()
    model = JaxMLP([64, width, width, 10], x, y)
    w0 = model.initial(1)
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}; MLP 64-{width}-{width}-10 tanh, "
          f"P = {model.p}, N = {x.shape[0]}, {steps} steps, k = 10, refresh every 100 on the minibatch")
    load_start = load_average()
    print(f"load average at start: {load_start}")
    # Compile the JAX functions outside the timed runs.
    jax_run(model, w0, 2, True)
    tmp = tempfile.mkdtemp()
    results = {key: [] for key in ["ours-sgd", "ours-bulk", "jax-sgd", "jax-bulk"]}
    for r in range(repeats):
        results["ours-sgd"].append(ours_run(curvature, width, steps, "sgd", None))
        results["ours-bulk"].append(ours_run(curvature, width, steps, "bulk-sgd", f"{tmp}/ours"))
        results["jax-sgd"].append(jax_run(model, w0, steps, False))
        results["jax-bulk"].append(jax_run(model, w0, steps, True))
        print(f"repetition {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.2f} s" for k, v in results.items()),
              flush=True)
    load_end = load_average()
    print(f"load average at end: {load_end}")
    overlaps = {}
    if with_overlap:
        ours_w = jnp.asarray(np.load(f"{tmp}/ours.parameters.npy"))
        ours_u = np.load(f"{tmp}/ours.basis.npy")
        overlaps["ours-bulk"] = overlap(model, ours_w, ours_u)
        last = results["jax-bulk"][-1]
        overlaps["jax-bulk"] = overlap(model, last["parameters"], last["basis"])

    def best(key):
        return min(r["seconds"] for r in results[key])

    rows = []
    print()
    print("| side | run | seconds (min) | ÷ own SGD time (min) | HVPs | refreshes | final loss | ÷ own SGD loss | overlap with exact top-10 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for side in ["ours", "jax"]:
        for run in ["sgd", "bulk"]:
            key = f"{side}-{run}"
            last = results[key][-1]
            ratios = [b["seconds"] / s["seconds"] for b, s in zip(results[key], results[f"{side}-sgd"])]
            row = {"side": side, "run": run, "seconds": [r["seconds"] for r in results[key]],
                   "time_ratio_min": min(ratios), "hvps": last["hvps"], "refreshes": last["refreshes"],
                   "final_loss": last["loss"], "loss_ratio": last["loss"] / results[f"{side}-sgd"][-1]["loss"],
                   "overlap": overlaps.get(key)}
            rows.append(row)
            ov = f"{row['overlap']:.3f}" if row["overlap"] is not None else "–"
            print(f"| {side} | {run} | {best(key):.2f} | {min(ratios):.2f} | {row['hvps']} | {row['refreshes']} | "
                  f"{row['final_loss']:.4f} | {row['loss_ratio']:.3f} | {ov} |")
    ratio = best("ours-bulk") / best("jax-bulk")
    print()
    print(f"tracked Bulk-SGD, ours ÷ JAX wall time: {ratio:.2f} "
          f"(SGD alone: {best('ours-sgd') / best('jax-sgd'):.2f})")
    if json_path:
        document = {"command": "python3 Benchmarks/Peers/jax_inloop.py " + " ".join(sys.argv[1:]),
                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "parameters": model.p,
                    "steps": steps, "load_average": [load_start, load_end], "rows": rows,
                    "ours_command": results["ours-bulk"][-1]["command"],
                    "tracked_ours_over_jax": ratio, "jax": jax.__version__}
        with open(json_path, "w") as f:
            json.dump(document, f, indent=1)
        print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
