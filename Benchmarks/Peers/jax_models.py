"""Side-by-side check of the MLP figures against JAX (CPU): loss, gradient, HVP, top Hessian eigenvalues.

The Swift side exports the weights, data, probe direction and its own results; this script
recomputes everything in JAX on the same inputs and prints agreement and time ratios ours/JAX.

    cd Benchmarks
    swift build -c release --product Figures
    python3 Peers/jax_models.py /tmp/curvature-models --swift .build/release/Figures

With `--swift PATH` the script first runs `PATH models --only mlp --quick --export DIR`, so both
sides are measured back to back in one command; without it, it reads an earlier export.

Needs `pip install "jax[cpu]" scipy`.
"""

import json
import os
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from scipy.sparse.linalg import LinearOperator, eigsh  # noqa: E402

from peer_common import median_ms, relative_difference  # noqa: E402


def main(directory):
    x = jnp.asarray(np.load(f"{directory}/digits_inputs.npy").astype(np.float32))
    y = jnp.asarray(np.load(f"{directory}/digits_labels.npy").astype(np.int32))
    w0 = jnp.asarray(np.load(f"{directory}/mlp_parameters.npy"))
    v0 = jnp.asarray(np.load(f"{directory}/mlp_direction.npy"))
    ours = json.load(open(f"{directory}/swift_results.json"))
    ours_g = np.load(f"{directory}/swift_gradient.npy")
    ours_hv = np.load(f"{directory}/swift_hvp.npy")
    sizes = ours["layer_sizes"]

    def layers(w):
        out, p = [], 0
        for nin, nout in zip(sizes[:-1], sizes[1:]):
            weight = w[p : p + nout * nin].reshape(nout, nin)  # nn.Linear.weight layout
            p += nout * nin
            bias = w[p : p + nout]
            p += nout
            out.append((weight, bias))
        return out

    def loss(w):
        h = x
        ls = layers(w)
        for i, (weight, bias) in enumerate(ls):
            h = h @ weight.T + bias
            if i < len(ls) - 1:
                h = jnp.tanh(h)
        logz = jax.nn.logsumexp(h, axis=1)
        return jnp.mean(logz - jnp.take_along_axis(h, y[:, None], axis=1)[:, 0])

    loss_j = jax.jit(loss)
    grad_j = jax.jit(jax.grad(loss))
    hvp_j = jax.jit(lambda w, v: jax.jvp(jax.grad(loss), (w,), (v,))[1])

    l = float(loss_j(w0))
    g = np.asarray(grad_j(w0))
    hv = np.asarray(hvp_j(w0, v0))
    t_grad = median_ms(lambda: grad_j(w0).block_until_ready(), 7)
    t_hvp = median_ms(lambda: hvp_j(w0, v0).block_until_ready(), 7)

    k = len(ours["eigenvalues"])
    count = [0]

    def matvec(u):
        count[0] += 1
        return np.asarray(hvp_j(w0, jnp.asarray(u, dtype=jnp.float32)), dtype=np.float64)

    op = LinearOperator((w0.size, w0.size), matvec=matvec, dtype=np.float64)
    t0 = time.perf_counter()
    vals = eigsh(op, k=k, which="LA", tol=1e-4, return_eigenvectors=False)
    t_eig = time.perf_counter() - t0
    vals = np.sort(vals)[::-1]
    ours_vals = np.asarray(ours["eigenvalues"])

    def rel(a, b):
        return relative_difference(a, b, floor=1e-30)

    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}, MLP {'-'.join(map(str, sizes))} tanh, N = {x.shape[0]}")
    print()
    print("| quantity | Curvature | JAX | agreement |")
    print("|---|---:|---:|---:|")
    print(f"| loss | {ours['loss']:.7f} | {l:.7f} | {abs(ours['loss'] - l):.1e} abs |")
    print(f"| gradient | ‖g‖ = {np.linalg.norm(ours_g):.6f} | ‖g‖ = {np.linalg.norm(g):.6f} | {rel(ours_g, g):.1e} rel |")
    print(f"| HVP | ‖Hv‖ = {np.linalg.norm(ours_hv):.6f} | ‖Hv‖ = {np.linalg.norm(hv):.6f} | {rel(ours_hv, hv):.1e} rel |")
    for i in range(min(5, k)):
        print(f"| λ{i + 1} | {ours_vals[i]:.6f} | {vals[i]:.6f} | {abs(ours_vals[i] - vals[i]) / abs(vals[i]):.1e} rel |")
    print()
    print("| operation | Curvature | JAX | ours/JAX |")
    print("|---|---:|---:|---:|")
    print(f"| gradient (ms) | {ours['gradient_ms']:.1f} | {t_grad:.1f} | {ours['gradient_ms'] / t_grad:.2f} |")
    print(f"| HVP, fresh (ms) | {ours['hvp_ms']:.1f} | {t_hvp:.1f} | {ours['hvp_ms'] / t_hvp:.2f} |")
    print(f"| HVP, cached forward (ms) | {ours['hvp_cached_ms']:.1f} | {t_hvp:.1f} | {ours['hvp_cached_ms'] / t_hvp:.2f} |")
    print(
        f"| top-{k} eigenpairs, tol 1e-4 (s) | {ours['eigen_seconds']:.2f} ({ours['eigen_hvps']} HVPs) "
        f"| {t_eig:.2f} ({count[0]} HVPs, ARPACK) | {ours['eigen_seconds'] / t_eig:.2f} |"
    )
    ok = abs(ours["loss"] - l) < 1e-5 and rel(ours_g, g) < 1e-4 and rel(ours_hv, hv) < 1e-3
    ok = ok and np.all(np.abs(ours_vals[:5] - vals[:5]) <= 1e-3 * np.abs(vals[:5]))
    print()
    print("agreement:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    directory = "/tmp/curvature-models"
    swift = None
    while args:
        a = args.pop(0)
        if a == "--swift":
            swift = args.pop(0)
        else:
            directory = a
    if swift:
        print(subprocess.run(
            [swift, "models", "--only", "mlp", "--quick", "--export", directory],
            check=True, capture_output=True, text=True).stdout)
    sys.exit(main(directory))
