"""The byte-level transformer language model against JAX (CPU): loss, gradient and HVP
agreement on the same weights and windows, and gradient / HVP time ratios ours/JAX.

The model is the one `curvature train --model transformer:64,4,2 --dataset bierce` trains
(V = 79 bytes, T = 32, D = 64, H = 4, L = 2, F = 256; GPT-2 style pre-LayerNorm, tanh GELU,
LayerNorm ε = 1e-5, no unembedding bias), written here from the documented parameter layout of
`Transformer`. Agreement is checked against a float64 JAX evaluation; times are float32 JAX
under `jit` (gradient: `jax.grad`; HVP: forward-over-reverse `jax.jvp(jax.grad(loss))`), on
the same 64- and 512-window batches, median of repeated calls after compilation.

    cd Benchmarks
    swift build -c release --product Figures
    python3 Peers/jax_text_transformer.py /tmp/curvature-text --swift .build/release/Figures --rounds 3

With `--swift PATH` each round first runs `PATH text --quick --export DIR` (our timings), then
times JAX, so both sides are measured back to back; the ratios are reported per round with
their median. Without it, it reads an earlier export.

Needs `pip install "jax[cpu]"`.
"""

import json
import os
import subprocess
import sys

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from peer_common import median_ms, relative_difference  # noqa: E402

jax.config.update("jax_enable_x64", True)


def make_loss(cfg, tokens):
    v, t, d, h, n_layers = cfg["vocabulary"], cfg["length"], cfg["width"], cfg["heads"], cfg["layers"]
    f = 4 * d
    dh = d // h
    inputs, targets = tokens[:, :t], tokens[:, 1:]
    mask = jnp.tril(jnp.ones((t, t), dtype=bool))

    def layer_norm(x, g, b):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
        return g * (x - mu) / jnp.sqrt(var + 1e-5) + b

    def gelu(x):
        return 0.5 * x * (1 + jnp.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))

    def loss(w):
        p = 0

        def take(*shape):
            nonlocal p
            n = int(np.prod(shape))
            out = w[p : p + n].reshape(shape)
            p += n
            return out

        tok_e = take(v, d)
        pos_e = take(t, d)
        x = tok_e[inputs] + pos_e[None]  # N × T × D
        for _ in range(n_layers):
            g1, b1n = take(d), take(d)
            wqkv, bqkv = take(3 * d, d), take(3 * d)
            wo, bo = take(d, d), take(d)
            g2, b2n = take(d), take(d)
            w1, b1 = take(f, d), take(f)
            w2, b2 = take(d, f), take(d)
            qkv = layer_norm(x, g1, b1n) @ wqkv.T + bqkv
            q, k, val = jnp.split(qkv, 3, axis=-1)
            n = x.shape[0]
            q = q.reshape(n, t, h, dh).transpose(0, 2, 1, 3)
            k = k.reshape(n, t, h, dh).transpose(0, 2, 1, 3)
            val = val.reshape(n, t, h, dh).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
            s = jnp.where(mask, s, -jnp.inf)
            a = jax.nn.softmax(s, axis=-1) @ val
            x = x + a.transpose(0, 2, 1, 3).reshape(n, t, d) @ wo.T + bo
            x = x + gelu(layer_norm(x, g2, b2n) @ w1.T + b1) @ w2.T + b2
        gf, bf = take(d), take(d)
        un = take(v, d)
        z = layer_norm(x, gf, bf) @ un.T
        logz = jax.nn.logsumexp(z, axis=-1)
        picked = jnp.take_along_axis(z, targets[..., None], axis=-1)[..., 0]
        return jnp.mean(logz - picked)

    return loss


def run_jax(directory):
    cfg = json.load(open(f"{directory}/text_results.json"))
    tokens = np.load(f"{directory}/text_tokens.npy").astype(np.int32)
    w = np.load(f"{directory}/text_parameters.npy")
    v = np.load(f"{directory}/text_direction.npy")
    ours_g = np.load(f"{directory}/text_gradient.npy")
    ours_hv = np.load(f"{directory}/text_hvp.npy")

    # Agreement on all 512 windows, against float64.
    loss64 = make_loss(cfg, jnp.asarray(tokens))
    w64, v64 = jnp.asarray(w, dtype=jnp.float64), jnp.asarray(v, dtype=jnp.float64)
    l64 = float(jax.jit(loss64)(w64))
    g64 = np.asarray(jax.jit(jax.grad(loss64))(w64))
    hv64 = np.asarray(jax.jit(lambda a, b: jax.jvp(jax.grad(loss64), (a,), (b,))[1])(w64, v64))

    rel = relative_difference

    agreement = {
        "loss": abs(cfg["loss"] - l64) / abs(l64),
        "gradient": rel(ours_g.astype(np.float64), g64),
        "hvp": rel(ours_hv.astype(np.float64), hv64),
    }
    times = {}
    for n in (64, 512):
        loss32 = make_loss(cfg, jnp.asarray(tokens[:n]))
        w32, v32 = jnp.asarray(w, dtype=jnp.float32), jnp.asarray(v, dtype=jnp.float32)
        grad_j = jax.jit(jax.grad(loss32))
        hvp_j = jax.jit(lambda a, b: jax.jvp(jax.grad(loss32), (a,), (b,))[1])
        times[f"gradient_ms_{n}"] = median_ms(lambda: grad_j(w32).block_until_ready(), 9)
        times[f"hvp_ms_{n}"] = median_ms(lambda: hvp_j(w32, v32).block_until_ready(), 9)
    return cfg, agreement, times


def main(directory, swift, rounds):
    ratios = []
    for r in range(rounds):
        if swift:
            out = subprocess.run(
                [swift, "text", "--quick", "--export", directory],
                check=True, capture_output=True, text=True).stdout
            if r == 0:
                print(out)
        cfg, agreement, times = run_jax(directory)
        ours = json.load(open(f"{directory}/text_results.json"))
        row = {key: ours[key] / times[key] for key in times}
        ratios.append((ours, times, row))
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}; transformer V={cfg['vocabulary']} "
          f"T={cfg['length']} D={cfg['width']} H={cfg['heads']} L={cfg['layers']}, P = {cfg['parameters']}")
    print()
    print("| agreement with float64 JAX (512 windows) | relative error |")
    print("|---|---:|")
    for key, value in agreement.items():
        print(f"| {key} | {value:.1e} |")
    print()
    print("| operation | round | Curvature (ms) | JAX (ms) | ours/JAX |")
    print("|---|---:|---:|---:|---:|")
    for key in ("gradient_ms_64", "hvp_ms_64", "gradient_ms_512", "hvp_ms_512"):
        name = ("gradient" if key.startswith("gradient") else "HVP") + f", {key.split('_')[-1]} windows"
        for r, (ours, times, row) in enumerate(ratios):
            print(f"| {name} | {r + 1} | {ours[key]:.2f} | {times[key]:.2f} | {row[key]:.2f} |")
        med = float(np.median([row[key] for _, _, row in ratios]))
        print(f"| {name} | median | | | **{med:.2f}** |")
    ok = agreement["loss"] < 1e-5 and agreement["gradient"] < 1e-4 and agreement["hvp"] < 1e-3
    print()
    print("agreement:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    directory = "/tmp/curvature-text"
    swift = None
    rounds = 1
    while args:
        a = args.pop(0)
        if a == "--swift":
            swift = args.pop(0)
        elif a == "--rounds":
            rounds = int(args.pop(0))
        else:
            directory = a
    sys.exit(main(directory, swift, rounds))
