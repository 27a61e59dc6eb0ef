"""Model compression on the book's Keras CNN: int8 quantization and magnitude pruning, measured.

Every function works on an uncompiled copy, so one trained model can be compressed in several
ways and each variant compared with the original: test accuracy, non-zero weights, the bytes
the weights take in memory, the size of the file ``save_weights`` writes, and the size of the
weights once zlib-compressed.
Keras 3's ``Model.quantize("int8")`` quantizes the layers that implement it (``Dense``,
``EinsumDense``, ``Embedding``); the others, ``Conv2D`` among them, stay float32.
"""

from __future__ import annotations

import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from dlbook import keras_cnn

SPARSITIES = (0.5, 0.9)


def copy_model(model: keras.Model) -> keras.Model:
    """A new, uncompiled model (no optimizer state) with the same layers and a copy of the weights."""
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def weight_bytes(model: keras.Model) -> int:
    """Bytes of all weights as stored, each variable in its own dtype (float32, int8, ...)."""
    return int(sum(np.prod(w.shape, dtype=np.int64) * np.dtype(w.dtype).itemsize
                   for w in model.weights))


def zipped_bytes(model: keras.Model) -> int:
    """Bytes of all weights after zlib compression (level 9): what a zip file of them takes."""
    raw = b"".join(np.asarray(w.numpy()).tobytes() for w in model.weights)
    return len(zlib.compress(raw, 9))


def saved_bytes(model: keras.Model, weights_only: bool = True) -> int:
    """Size in bytes of the file ``model.save_weights`` writes (``model.save`` if not weights_only)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("model.weights.h5" if weights_only else "model.keras")
        model.save_weights(path) if weights_only else model.save(path)
        return path.stat().st_size


def nonzero_weights(model: keras.Model) -> int:
    """Number of weights that are not exactly zero."""
    return int(sum(np.count_nonzero(w.numpy()) for w in model.weights))


def quantize_int8(model: keras.Model) -> tuple[keras.Model, list[str]]:
    """A copy quantized with ``quantize("int8")``, and the layers it quantized."""
    quantized = copy_model(model)
    with warnings.catch_warnings():  # Keras warns for each layer it cannot quantize
        warnings.filterwarnings("ignore", message=".*does not have a `quantize`")
        quantized.quantize("int8")
    done = [layer.name for layer in quantized.layers
            if layer.dtype_policy.quantization_mode == "int8"]
    return quantized, done


def largest_dense(model: keras.Model) -> keras.layers.Dense:
    """The Dense layer with the largest kernel (in the book's CNN: the 5,408 x 128 one)."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ValueError(f"model {model.name!r} has no Dense layer to prune")
    return max(dense, key=lambda layer: int(np.prod(layer.kernel.shape)))


def prune_magnitude(model: keras.Model, sparsity: float) -> keras.Model:
    """A copy whose largest Dense kernel has its smallest weights set to zero.

    ``sparsity``: the fraction of that kernel's weights zeroed, 0 <= sparsity < 1.
    """
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    pruned = copy_model(model)
    layer = largest_dense(pruned)
    kernel = layer.kernel.numpy()
    num_zeroed = int(round(sparsity * kernel.size))
    smallest = np.argsort(np.abs(kernel), axis=None, kind="stable")[:num_zeroed]
    kernel.flat[smallest] = 0.0
    layer.kernel.assign(kernel)
    return pruned


def sparsity_of(model: keras.Model) -> float:
    """Fraction of zeros in the largest Dense kernel."""
    kernel = largest_dense(model).kernel.numpy()
    return float(1.0 - np.count_nonzero(kernel) / kernel.size)


@dataclass(frozen=True)
class Variant:
    """One compressed (or original) model and what it costs and scores."""

    name: str
    accuracy: float
    nonzero: int
    stored_bytes: int
    saved_bytes: int
    zipped_bytes: int


def measure(name: str, model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> Variant:
    """Test accuracy and sizes of one model."""
    accuracy = float((keras_cnn.predict(model, x_test) == y_test).mean())
    return Variant(name, accuracy, nonzero_weights(model), weight_bytes(model), saved_bytes(model),
                   zipped_bytes(model))


def compare(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray,
            sparsities: tuple[float, ...] = SPARSITIES) -> list[Variant]:
    """The original, int8, each pruned model, and the most pruned one in int8."""
    rows = [measure("float32 (trained)", copy_model(model), x_test, y_test),
            measure("int8 (quantize)", quantize_int8(model)[0], x_test, y_test)]
    for sparsity in sparsities:
        pruned = prune_magnitude(model, sparsity)
        rows.append(measure(f"pruned {sparsity:.0%}", pruned, x_test, y_test))
    if sparsities:
        most = max(sparsities)
        both, _ = quantize_int8(prune_magnitude(model, most))
        rows.append(measure(f"pruned {most:.0%} + int8", both, x_test, y_test))
    return rows


def format_table(rows: list[Variant]) -> str:
    """The comparison as a text table."""
    lines = [f"{'model':<20}{'test acc':>9}{'non-zero':>10}{'bytes':>11}{'file':>11}{'zipped':>11}"]
    lines += [f"{r.name:<20}{r.accuracy:>9.4f}{r.nonzero:>10,}{r.stored_bytes:>11,}"
              f"{r.saved_bytes:>11,}{r.zipped_bytes:>11,}" for r in rows]
    return "\n".join(lines)
