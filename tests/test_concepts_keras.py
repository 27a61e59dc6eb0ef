"""dlbook.concepts_keras: the chapter 2 Keras examples do what the chapter says they do."""

import numpy as np
import pytest

from dlbook import concepts_keras, keras_cnn


@pytest.fixture(scope="module")
def arrays(mnist):
    return keras_cnn.prepare_data(mnist)


def test_runtime_info_names_a_keras3_backend():
    info = concepts_keras.runtime_info()
    assert info["keras"].startswith("3.")
    assert info["backend"] in ("tensorflow", "jax", "torch")


def test_scale_shift_builds_on_first_call_and_matches_hand_computation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5)).astype("float32")
    gamma, beta = rng.normal(size=5).astype("float32"), rng.normal(size=5).astype("float32")
    result = concepts_keras.scale_shift_demo(x, gamma, beta)
    assert result["weights_before_call"] == []
    assert sorted(result["weights_after_call"].values()) == [(5,), (5,)]
    np.testing.assert_allclose(result["initial_output"], x)  # ones and zeros: the identity
    np.testing.assert_allclose(result["output"], x * gamma + beta, rtol=1e-6)


def test_scale_shift_rejects_weights_of_the_wrong_shape():
    x = np.ones((2, 3), dtype="float32")
    with pytest.raises(ValueError):
        concepts_keras.scale_shift_demo(x, np.ones(4, "float32"), np.zeros(4, "float32"))


def test_functional_model_is_the_sequential_model(arrays):
    functional = concepts_keras.build_functional_model(seed=0)
    sequential = keras_cnn.build_model(seed=0)
    assert keras_cnn.count_params(functional) == 693_962
    assert concepts_keras.layer_kinds(functional) == concepts_keras.layer_kinds(sequential) == [
        "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert functional.output_shape == (None, 10)
    # Same seed, same layers in the same order: the same weights and the same predictions.
    x = arrays[2][:32]
    np.testing.assert_array_equal(concepts_keras.probabilities(functional, x),
                                  concepts_keras.probabilities(sequential, x))
    other = concepts_keras.build_functional_model(seed=1)
    assert not np.array_equal(other.get_weights()[0], functional.get_weights()[0])


def test_train_briefly_records_every_batch_and_learns(arrays):
    x_train, y_train = arrays[0][:1000], arrays[1][:1000]
    model = concepts_keras.build_functional_model(seed=0)
    result = concepts_keras.train_briefly(model, x_train, y_train)
    assert result["optimizer_steps"] == 8 == len(result["batch_losses"])  # ceil(1000 / 128)
    assert result["batch_losses"][-1] == pytest.approx(result["epoch_loss"][0])
    assert result["batch_losses"][-1] < result["batch_losses"][0]
    assert result["epoch_accuracy"][0] > 0.2, "chance is 0.10"


def test_train_briefly_rejects_mismatched_data(arrays):
    model = concepts_keras.build_functional_model(seed=0)
    with pytest.raises(ValueError, match="same, non-zero number"):
        concepts_keras.train_briefly(model, arrays[0][:10], arrays[1][:9])


def test_save_and_reload_gives_identical_predictions(arrays):
    model = keras_cnn.build_model(seed=0)
    concepts_keras.train_briefly(model, arrays[0][:256], arrays[1][:256])
    result = concepts_keras.save_and_reload(model, arrays[2][:20])
    assert result["file_bytes"] > 693_962 * 4  # float32 weights at least
    assert result["restored_optimizer_steps"] == 2
    assert result["original"].shape == (20, 10)
    np.testing.assert_array_equal(result["restored"], result["original"])
