"""dlbook.parallel: data-parallel training on two devices matches one device, in both frameworks."""

import numpy as np
import pytest

# dlbook.parallel imports keras before mxnet: a bare `import tensorflow` first would crash MXNet
from dlbook import parallel

NUM_STEPS = 3


def check(results):
    """Two devices agree with one; without the all-reduce they do not."""
    assert results["replicas"] == 2 and len(results["devices"]) == 2
    change = results["weight_change"]
    assert change > 1e-4, "training moved the weights"
    assert results["parallel_vs_single"] < 1e-3 * change, results
    assert results["parallel_spread"] == 0.0, "the copies on the two devices stay identical"
    assert results["broken_vs_single"] > 0.1 * change, results
    assert results["broken_spread"] > 0.1 * change, "without the all-reduce the copies drift apart"


def test_max_abs_diff():
    a = [np.zeros((2, 3)), np.ones(4)]
    b = [np.full((2, 3), 0.5), np.ones(4)]
    assert parallel.max_abs_diff(a, b) == 0.5
    with pytest.raises(ValueError, match="different shapes"):
        parallel.max_abs_diff(a, [np.zeros(6), np.ones(4)])


def test_first_batches():
    x, y = np.arange(1000), np.arange(1000) % 10
    xb, yb = parallel.first_batches(x, y, num_steps=3, batch_size=128)
    assert xb.tolist() == list(range(384)) and len(yb) == 384
    with pytest.raises(ValueError, match="split evenly"):
        parallel.first_batches(x, y, num_steps=3, batch_size=127)
    with pytest.raises(ValueError, match="need 1280 samples"):
        parallel.first_batches(x, y, num_steps=10, batch_size=128)


def test_cpu_cannot_be_split_once_tensorflow_runs():
    parallel.tf.config.list_logical_devices("CPU")  # initialises TensorFlow's devices in this process
    with pytest.raises(RuntimeError, match="fresh process"):
        parallel.use_logical_cpus(2)


def test_mxnet_two_contexts_match_one():
    check(parallel.mxnet_data_parallel(num_steps=NUM_STEPS))


@pytest.mark.slow  # a fresh Python process imports TensorFlow and trains three times
def test_keras_mirrored_strategy_matches_one_device():
    check(parallel.keras_data_parallel(num_steps=NUM_STEPS))


def test_command_line_rejects_unknown_framework(capsys):
    with pytest.raises(SystemExit):
        parallel.main(["torch"])
    assert "invalid choice" in capsys.readouterr().err
