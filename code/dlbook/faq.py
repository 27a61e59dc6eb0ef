"""Evidence for chapter 6's answers: why the same CNN gives different numbers in two frameworks."""

from __future__ import annotations

import numpy as np

from dlbook import keras_cnn, mxnet_cnn

LAYERS = ("conv", "dense_hidden", "dense_output")


def glorot_limit(fan_in: int, fan_out: int) -> float:
    """Bound of the Glorot (Xavier) uniform initialiser: sqrt(6 / (fan_in + fan_out))."""
    return float(np.sqrt(6.0 / (fan_in + fan_out)))


def initial_weights(seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Initial weight matrices of both CNNs, in Keras's layout (kh, kw, in, out) / (in, out)."""
    keras_model = keras_cnn.build_model(seed)
    mxnet_model = mxnet_cnn.build_model(seed)
    keras_kernels = [w for w in keras_model.get_weights() if w.ndim > 1]
    mxnet_kernels = [p.data().asnumpy() for name, p in mxnet_model.collect_params().items()
                     if name.endswith("weight")]
    # MXNet stores conv weights as (out, in, kh, kw) and dense weights as (out, in).
    mxnet_kernels = [w.transpose(2, 3, 1, 0) if w.ndim == 4 else w.T for w in mxnet_kernels]
    return {layer: {"keras": k, "mxnet": m}
            for layer, k, m in zip(LAYERS, keras_kernels, mxnet_kernels)}


def fans(kernel: np.ndarray) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel in Keras's layout, as both initialisers count them."""
    receptive = int(np.prod(kernel.shape[:-2])) if kernel.ndim > 2 else 1
    return kernel.shape[-2] * receptive, kernel.shape[-1] * receptive


def initialisation_report(seed: int = 0) -> list[dict]:
    """Per layer: Glorot bound, largest |w| and std in each framework, share of equal weights."""
    rows = []
    for layer, pair in initial_weights(seed).items():
        k, m = pair["keras"], pair["mxnet"]
        if k.shape != m.shape:
            raise ValueError(f"{layer}: Keras shape {k.shape} differs from MXNet shape {m.shape}")
        rows.append({
            "layer": layer, "shape": k.shape, "limit": glorot_limit(*fans(k)),
            "keras_max": float(np.abs(k).max()), "mxnet_max": float(np.abs(m).max()),
            "keras_std": float(k.std()), "mxnet_std": float(m.std()),
            "equal_share": float((k == m).mean()),
        })
    return rows


def format_report(rows: list[dict]) -> str:
    """The initialisation report as a fixed-width table."""
    head = (f"{'layer':<13}{'shape':<18}{'limit':>8}{'keras max':>11}{'mxnet max':>11}"
            f"{'keras std':>11}{'mxnet std':>11}{'equal':>7}")
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['layer']:<13}{str(r['shape']):<18}{r['limit']:>8.4f}{r['keras_max']:>11.4f}"
            f"{r['mxnet_max']:>11.4f}{r['keras_std']:>11.4f}{r['mxnet_std']:>11.4f}{r['equal_share']:>7.0%}"
        )
    return "\n".join(lines)
