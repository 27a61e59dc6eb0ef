"""dlbook.backends: the same Keras CNN trains on TensorFlow, JAX and PyTorch, each in its own process."""

import json
from importlib.metadata import version

import numpy as np
import pytest

from dlbook import backends

NUM_TRAIN = 512  # a smoke run: one epoch on the first 512 training images


def test_backends_are_keras_three():
    assert backends.BACKENDS == ("tensorflow", "jax", "torch")


@pytest.mark.parametrize("bad", ["mxnet", "TensorFlow", "", "pytorch"])
def test_bad_backend_is_refused_before_any_process_starts(bad):
    with pytest.raises(ValueError, match="backend must be one of"):
        backends.run_backend(bad, num_epochs=1)


def test_child_refuses_a_backend_it_was_not_started_with(monkeypatch, capsys):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    with pytest.raises(SystemExit):
        backends.main(["jax", "1"])
    assert "KERAS_BACKEND=jax" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        backends.main(["mxnet", "1"])


def test_weights_digest_sees_every_bit():
    weights = [np.zeros((3, 3), "float32"), np.ones(4, "float32")]
    same = [w.copy() for w in weights]
    changed = [weights[0], np.nextafter(weights[1], 2, dtype="float32")]
    assert backends.weights_digest(weights) == backends.weights_digest(same)
    assert backends.weights_digest(weights) != backends.weights_digest(changed)


def test_train_here_reports_the_running_backend():
    """In this process Keras runs on its default backend, TensorFlow."""
    result = backends.train_here(num_epochs=1, num_train=NUM_TRAIN)
    assert result["backend"] == "tensorflow" and result["version"] == version("tensorflow")
    assert result["num_train"] == NUM_TRAIN and len(result["epoch_seconds"]) == 1
    assert result["jit_compile"] is False  # Keras turns XLA off for TensorFlow on a CPU-only machine
    assert 0.3 < result["test_accuracy"] <= 1.0, "chance is 0.10"
    assert result["images_per_second"] == pytest.approx(NUM_TRAIN / result["epoch_seconds"][0])
    json.dumps(result)  # the child sends it as JSON


def test_format_results():
    row = {"backend": "jax", "version": "0.4.30", "jit_compile": True, "initial_digest": "a" * 16,
           "trained_digest": "b" * 16, "test_accuracy": 0.9455, "epoch_seconds": [5.0, 4.0],
           "images_per_second": 2000.0}
    lines = backends.format_results([row]).splitlines()
    assert lines[0].split()[:3] == ["backend", "version", "jit"]
    assert lines[1].split() == ["jax", "0.4.30", "True", "a" * 16, "b" * 16, "0.9455", "5.0", "4.0", "2,000"]


@pytest.fixture(scope="module")
def twice():
    """Each backend run twice in child processes, with the same seed."""
    return {b: [backends.run_backend(b, num_epochs=1, num_train=NUM_TRAIN) for _ in range(2)]
            for b in backends.BACKENDS}


@pytest.mark.slow
@pytest.mark.parametrize("backend", backends.BACKENDS)
def test_child_trains_on_the_requested_backend(twice, backend):
    result = twice[backend][0]
    assert result["backend"] == backend and result["version"] == version(backend)
    assert result["jit_compile"] is (backend == "jax")  # JAX is jitted; TensorFlow (CPU) and torch are not
    assert 0.3 < result["test_accuracy"] <= 1.0, "chance is 0.10"
    assert result["images_per_second"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", backends.BACKENDS)
def test_each_backend_is_reproducible_on_cpu(twice, backend):
    first, second = twice[backend]
    assert first["trained_digest"] == second["trained_digest"]
    assert first["test_accuracy"] == second["test_accuracy"]


@pytest.mark.slow
def test_same_seed_different_initial_weights_on_each_backend(twice):
    digests = {twice[b][0]["initial_digest"] for b in backends.BACKENDS}
    assert len(digests) == len(backends.BACKENDS)


def test_fastest():
    rows = [{"backend": "tensorflow", "images_per_second": 9000.0}, {"backend": "jax", "images_per_second": 2000.0}]
    assert backends.fastest(rows) == "tensorflow"


def test_every_backend_has_a_display_name():
    assert set(backends.DISPLAY_NAMES) == set(backends.BACKENDS)
