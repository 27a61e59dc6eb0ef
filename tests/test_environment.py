"""The environment is the locked one, and dlbook.environment reports it (chapter 1)."""

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from dlbook.environment import format_versions, versions

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def locked_versions() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", LOCK.read_text(), flags=re.M)
    return {name.lower().replace("_", "-"): pin for name, pin in pins}


def test_numpy_is_held_for_mxnet():
    assert locked_versions()["numpy"] == "1.23.5"


@pytest.mark.parametrize(
    "package", ["numpy", "mxnet", "tensorflow", "keras", "sphinx", "myst-nb", "sphinx-book-theme"]
)
def test_installed_version_is_the_locked_one(package):
    assert version(package) == locked_versions()[package]


def test_both_frameworks_import_in_one_process():
    import keras
    import mxnet as mx
    import numpy as np
    import tensorflow as tf

    assert keras.backend.backend() == "tensorflow"
    assert mx.nd.array(np.arange(3)).sum().asscalar() == 3
    assert int(tf.reduce_sum(tf.range(3))) == 3


def test_versions_reports_installed_and_missing_packages():
    found = versions(("numpy", "mxnet", "no-such-package-xyz"))
    assert found["numpy"] == version("numpy") == "1.23.5"
    assert found["mxnet"] == "1.9.1"
    assert found["no-such-package-xyz"] is None
    assert found["python"].startswith("3.11")


def test_format_versions():
    text = format_versions({"numpy": "1.23.5", "jax": None})
    assert text.splitlines() == ["numpy       1.23.5", "jax         not installed"]
