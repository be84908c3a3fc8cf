"""Side-by-side check of the CNN against JAX (CPU): loss, gradient and HVP agreement against a
float64 JAX reference, and gradient/HVP time ours vs JAX (float32, jit) on the same weights.

The Swift side exports the images, labels, weights, probe direction, its own results and its
timings; this script recomputes everything in JAX on the same inputs.

    cd Benchmarks
    swift build -c release --product Figures
    python3 Peers/jax_cnn.py /tmp/curvature-cnn --swift .build/release/Figures

With `--swift PATH` the script first runs `PATH models --only cnn --export DIR`, so both sides
are measured back to back in one command; without it, it reads an earlier export.

The JAX model is written independently of ours with `lax.conv_general_dilated` (NCHW inputs,
OIHW weights = PyTorch's Conv2d layout, 'SAME' padding), `lax.reduce_window` max pooling
('VALID', i.e. floor) and `reshape(N, -1)` (= torch.flatten) before the dense layer.

Needs `pip install "jax[cpu]"`.
"""

import json
import os
import subprocess
import sys

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from peer_common import relative_difference, times_ms  # noqa: E402


def model(shape, channels, classes, activation):
    """The loss of the CNN as a function of (flat parameters, images, labels)."""
    act = jax.nn.relu if activation == "relu" else jnp.tanh

    def unflatten(w):
        out, p, cin = [], 0, shape[0]
        for cout in channels:
            weight = w[p : p + cout * cin * 9].reshape(cout, cin, 3, 3)
            p += cout * cin * 9
            out.append((weight, w[p : p + cout]))
            p += cout
            cin = cout
        h, wd = shape[1], shape[2]
        for _ in channels:
            h, wd = h // 2, wd // 2
        f = cin * h * wd
        out.append((w[p : p + classes * f].reshape(classes, f), w[p + classes * f : p + classes * f + classes]))
        return out

    def loss(w, x, y):
        layers = unflatten(w)
        h = x
        for weight, bias in layers[:-1]:
            h = lax.conv_general_dilated(
                h, weight, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"),
                precision=lax.Precision.HIGHEST)
            h = act(h + bias[None, :, None, None])
            h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        weight, bias = layers[-1]
        z = h.reshape(h.shape[0], -1) @ weight.T + bias
        logz = jax.nn.logsumexp(z, axis=1)
        return jnp.mean(logz - jnp.take_along_axis(z, y[:, None], axis=1)[:, 0])

    return loss


def main(directory, reps):
    ours = json.load(open(f"{directory}/cnn_results.json"))
    shape, channels, classes = ours["image_shape"], ours["channels"], ours["classes"]
    x32 = np.load(f"{directory}/cnn_inputs.npy").astype(np.float32)
    x32 = x32.reshape(x32.shape[0], *shape)  # N × C × H × W
    y = jnp.asarray(np.load(f"{directory}/cnn_labels.npy").astype(np.int32))
    w32 = np.load(f"{directory}/cnn_parameters.npy").astype(np.float32)
    v32 = np.load(f"{directory}/cnn_direction.npy").astype(np.float32)
    ours_g = np.load(f"{directory}/cnn_swift_gradient.npy").astype(np.float64)
    ours_hv = np.load(f"{directory}/cnn_swift_hvp.npy").astype(np.float64)
    loss = model(shape, channels, classes, ours["activation"])
    grad = jax.grad(loss)
    hvp = lambda w, v, x, y: jax.jvp(lambda u: grad(u, x, y), (w,), (v,))[1]  # noqa: E731

    # float64 reference on the same float32 weights, data and direction.
    x64, w64, v64 = (jnp.asarray(a, dtype=jnp.float64) for a in (x32, w32, v32))
    l64 = float(jax.jit(loss)(w64, x64, y))
    g64 = np.asarray(jax.jit(grad)(w64, x64, y))
    hv64 = np.asarray(jax.jit(hvp)(w64, v64, x64, y))

    # float32 timings (what a JAX user runs).
    xf, wf, vf = (jnp.asarray(a) for a in (x32, w32, v32))
    grad_j = jax.jit(grad)
    hvp_j = jax.jit(hvp)
    g32 = np.asarray(grad_j(wf, xf, y), dtype=np.float64)
    hv32 = np.asarray(hvp_j(wf, vf, xf, y), dtype=np.float64)
    grad_times = times_ms(lambda: grad_j(wf, xf, y).block_until_ready(), reps)
    hvp_times = times_ms(lambda: hvp_j(wf, vf, xf, y).block_until_ready(), reps)
    t_grad, t_grad_min = float(np.median(grad_times)), float(np.min(grad_times))
    t_hvp, t_hvp_min = float(np.median(hvp_times)), float(np.min(hvp_times))

    rel = relative_difference

    arch = "-".join(map(str, channels))
    print(
        f"JAX {jax.__version__} on {jax.devices()[0].platform}, CNN {arch} {ours['activation']} on "
        f"{'x'.join(map(str, shape))} images, {classes} classes, N = {x32.shape[0]}, P = {w32.size}")
    print()
    print("| quantity | Curvature (float32) | JAX float64 | relative difference | JAX float32 vs float64 |")
    print("|---|---:|---:|---:|---:|")
    print(f"| loss | {ours['loss']:.8f} | {l64:.8f} | {abs(ours['loss'] - l64) / abs(l64):.1e} | |")
    print(f"| gradient | ‖g‖ = {np.linalg.norm(ours_g):.6f} | ‖g‖ = {np.linalg.norm(g64):.6f} | {rel(ours_g, g64):.1e} | {rel(g32, g64):.1e} |")
    print(f"| HVP | ‖Hv‖ = {np.linalg.norm(ours_hv):.6f} | ‖Hv‖ = {np.linalg.norm(hv64):.6f} | {rel(ours_hv, hv64):.1e} | {rel(hv32, hv64):.1e} |")
    print()
    print(f"| operation (median of {reps}; JAX min in brackets) | Curvature | JAX (jit, float32) | ours/JAX |")
    print("|---|---:|---:|---:|")
    print(
        f"| gradient (ms) | {ours['gradient_ms']:.2f} | {t_grad:.2f} [{t_grad_min:.2f}] "
        f"| {ours['gradient_ms'] / t_grad:.2f} |")
    print(
        f"| HVP, fresh forward pass (ms) | {ours['hvp_ms']:.2f} | {t_hvp:.2f} [{t_hvp_min:.2f}] "
        f"| {ours['hvp_ms'] / t_hvp:.2f} |")
    print(
        f"| HVP, cached forward pass (ms) | {ours['hvp_cached_ms']:.2f} | {t_hvp:.2f} | {ours['hvp_cached_ms'] / t_hvp:.2f} |")
    print(
        f"| block of 8 HVPs, cached, per HVP (ms) | {ours['block8_ms'] / 8:.2f} | {t_hvp:.2f} | {ours['block8_ms'] / 8 / t_hvp:.2f} |")
    ok = abs(ours["loss"] - l64) <= 1e-5 * abs(l64) and rel(ours_g, g64) <= 1e-5 and rel(ours_hv, hv64) <= 1e-5
    print()
    print("agreement (≤ 1e-5 relative to float64):", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    directory = "/tmp/curvature-cnn"
    swift = None
    reps = 11
    channels = [16, 32]
    while args:
        a = args.pop(0)
        if a == "--swift":
            swift = args.pop(0)
        elif a == "--reps":
            reps = int(args.pop(0))
        elif a == "--channels":
            channels = [int(c) for c in args.pop(0).split(",")]
        else:
            directory = a
    if swift:
        print(subprocess.run(
            [swift, "models", "--only", "cnn", "--reps", str(reps), "--channels",
             ",".join(map(str, channels)), "--export", directory],
            check=True, capture_output=True, text=True).stdout)
    sys.exit(main(directory, reps))
