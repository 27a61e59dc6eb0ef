"""One Keras model on three backends: the book's CNN trained on TensorFlow, JAX and PyTorch.

Keras 3 fixes its backend when ``keras`` is first imported, from the environment variable
``KERAS_BACKEND``. One Python process therefore runs one backend, and each backend here gets a
fresh child process: ``run_backend("jax")`` starts ``python -m dlbook.backends jax 2`` with
``KERAS_BACKEND=jax`` in its environment and reads the JSON line the child prints.

The child builds and trains exactly the model of ``dlbook.keras_cnn`` (same code, same seed,
same data); only the engine underneath changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")
DISPLAY_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
NUM_EPOCHS = 2
TIMEOUT_S = 600


def check_backend(backend: str) -> None:
    """Raise ``ValueError`` unless ``backend`` is one of Keras 3's three backends."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")


def weights_digest(weights: list[np.ndarray]) -> str:
    """Short SHA-256 of the weights' bytes: equal digests mean bit-identical weights."""
    digest = hashlib.sha256()
    for w in weights:
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()[:16]


def train_here(num_epochs: int = NUM_EPOCHS, num_train: int | None = None, seed: int = 0) -> dict:
    """Train the book's CNN on the backend this process runs; what the comparison reports."""
    import keras  # the backend is whatever KERAS_BACKEND said when this first ran

    from dlbook import keras_cnn, metrics
    from dlbook.data import load_mnist

    x_train, y_train, x_test, y_test = keras_cnn.prepare_data(load_mnist())
    if num_train is not None:  # a stratified subset is not needed for a smoke run
        x_train, y_train = x_train[:num_train], y_train[:num_train]
    model = keras_cnn.build_model(seed)
    initial_digest = weights_digest(model.get_weights())
    history = keras_cnn.train(model, (x_train, y_train, x_test, y_test), num_epochs=num_epochs, seed=seed)
    backend = keras.backend.backend()
    return {
        "backend": backend,
        "version": version(backend),
        "keras": keras.__version__,
        "jit_compile": bool(model.jit_compile),
        "num_train": len(x_train),
        "num_epochs": num_epochs,
        "test_accuracy": keras_cnn.evaluate(model, x_test, y_test),
        "epoch_seconds": [h.seconds for h in history],
        # The first epoch also traces and compiles; the median of the others when there are some.
        "images_per_second": len(x_train) / metrics.seconds_per_epoch(history),
        "initial_digest": initial_digest,
        "trained_digest": weights_digest(model.get_weights()),
    }


def run_backend(backend: str, num_epochs: int = NUM_EPOCHS, num_train: int | None = None,
                seed: int = 0) -> dict:
    """``train_here`` in a child process whose Keras runs on ``backend``."""
    check_backend(backend)
    command = [sys.executable, "-m", "dlbook.backends", backend, str(num_epochs), "--seed", str(seed)]
    if num_train is not None:
        command += ["--num-train", str(num_train)]
    env = dict(os.environ, KERAS_BACKEND=backend)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    child = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    if child.returncode != 0:
        raise RuntimeError(f"training on {backend} failed (exit code {child.returncode}):\n"
                           f"{child.stderr[-3000:]}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if result["backend"] != backend:
        raise RuntimeError(f"asked for {backend}, but the child's Keras ran on {result['backend']}")
    return result


def compare_backends(num_epochs: int = NUM_EPOCHS, num_train: int | None = None, seed: int = 0,
                     backends=BACKENDS) -> list[dict]:
    """``run_backend`` for each backend in turn, with the same seed, data and epochs."""
    return [run_backend(b, num_epochs, num_train, seed) for b in backends]


def fastest(results: list[dict]) -> str:
    """Name of the backend that trained the most images per second."""
    return max(results, key=lambda r: r["images_per_second"])["backend"]


def format_results(results: list[dict]) -> str:
    """One line per backend: version, jit, weight digests, test accuracy, seconds per epoch, images/s."""
    lines = [f"{'backend':<11}{'version':<12}{'jit':<6}{'initial weights':<17}{'trained weights':<17}"
             f"{'test acc':>8}  {'s/epoch':<12}{'images/s':>8}"]
    for r in results:
        seconds = " ".join(f"{s:.1f}" for s in r["epoch_seconds"])
        lines.append(f"{r['backend']:<11}{r['version']:<12}{str(r['jit_compile']):<6}"
                     f"{r['initial_digest']:<17}{r['trained_digest']:<17}"
                     f"{r['test_accuracy']:>8.4f}  {seconds:<12}{r['images_per_second']:>8,.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line of the child: train on the backend named, print one JSON line."""
    parser = argparse.ArgumentParser(description="Train the book's CNN on one Keras backend.")
    parser.add_argument("backend", choices=BACKENDS)
    parser.add_argument("num_epochs", type=int)
    parser.add_argument("--num-train", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if os.environ.get("KERAS_BACKEND") != args.backend:
        parser.error(f"set KERAS_BACKEND={args.backend} in the environment: Keras reads it on import")
    print(json.dumps(train_here(args.num_epochs, args.num_train, args.seed)))


if __name__ == "__main__":
    main()
