"""Shared fixtures: the embedded data set is loaded once per test session."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import subprocess
import sys
from pathlib import Path

import pytest

from dlbook.data import load_mnist

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()


KERAS_EPOCHS = 2


@pytest.fixture(scope="session")
def keras_arrays(mnist):
    """The embedded data prepared for Keras: (x_train, y_train, x_test, y_test)."""
    from dlbook import keras_cnn

    return keras_cnn.prepare_data(mnist)


@pytest.fixture(scope="session")
def keras_trained(keras_arrays):
    """The book's Keras CNN after a short seeded training, shared by every test that needs one."""
    from dlbook import keras_cnn

    model = keras_cnn.build_model(seed=0)
    history = keras_cnn.train(model, keras_arrays, num_epochs=KERAS_EPOCHS)
    return model, history


def sphinx_build(out: Path, language: str) -> subprocess.CompletedProcess:
    """Strict build of one edition into out/html/<language>, with a fresh execution cache."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", "-T",
         "-D", f"language={language}", "-D", f"nb_execution_cache_path={out / 'jupyter_cache'}",
         "-c", str(ROOT), "-d", str(out / "doctrees" / language),
         str(ROOT / "book"), str(out / "html" / language)],
        capture_output=True, text=True, cwd=ROOT,
    )


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Both editions built once per test session, as `nox -s docs` builds them: (html root, logs)."""
    out = tmp_path_factory.mktemp("book")
    logs = {}
    for language in ("zh_CN", "en"):  # the English build reuses the Chinese execution
        result = sphinx_build(out, language)
        logs[language] = result.stdout + result.stderr
        assert result.returncode == 0, logs[language][-6000:]
    return out / "html", logs
