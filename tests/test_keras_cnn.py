"""dlbook.keras_cnn: the article's CNN in Keras 3 builds, trains, and is reproducible."""

import numpy as np
import pytest

from dlbook import keras_cnn
from dlbook.history import EpochStats

from conftest import KERAS_EPOCHS as NUM_EPOCHS


@pytest.fixture(scope="module")
def arrays(keras_arrays):
    return keras_arrays


@pytest.fixture(scope="module")
def trained(keras_trained):
    return keras_trained


def test_prepare_data(arrays):
    x_train, y_train, x_test, y_test = arrays
    assert x_train.shape == (8000, 28, 28, 1) and x_train.dtype == np.float32
    assert x_test.shape == (2000, 28, 28, 1)
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    assert y_train.shape == (8000,) and y_train.dtype == np.int32


def test_architecture_and_parameter_count():
    model = keras_cnn.build_model(seed=0)
    assert keras_cnn.count_params(model) == 693_962
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert model.output_shape == (None, 10)


def test_output_is_a_probability_distribution(arrays):
    model = keras_cnn.build_model(seed=0)
    probs = model.predict(arrays[2][:16], verbose=0)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()


def test_training_lowers_loss_and_beats_chance(trained, arrays):
    model, history = trained
    assert [h.epoch for h in history] == list(range(1, NUM_EPOCHS + 1))
    assert all(isinstance(h, EpochStats) and h.seconds > 0 for h in history)
    assert history[-1].loss < history[0].loss
    accuracy = keras_cnn.evaluate(model, arrays[2], arrays[3])
    assert accuracy > 0.85, "chance is 0.10"
    assert accuracy == pytest.approx(history[-1].test_accuracy, abs=1e-6)


def test_predict_returns_classes(trained, arrays):
    model, _ = trained
    predicted = keras_cnn.predict(model, arrays[2][:50])
    assert predicted.shape == (50,) and set(np.unique(predicted)) <= set(range(10))


def test_seeded_runs_are_bit_identical(trained, arrays):
    model, history = trained
    again = keras_cnn.build_model(seed=0)
    history_again = keras_cnn.train(again, arrays, num_epochs=NUM_EPOCHS)
    strip = lambda hs: [(h.loss, h.train_accuracy, h.test_accuracy) for h in hs]  # noqa: E731
    assert strip(history_again) == strip(history)
    for w1, w2 in zip(model.get_weights(), again.get_weights()):
        assert np.array_equal(w1, w2)


def test_another_seed_gives_other_weights():
    w0 = keras_cnn.build_model(seed=0).get_weights()[0]
    w1 = keras_cnn.build_model(seed=1).get_weights()[0]
    assert not np.array_equal(w0, w1)


def test_determinism_switch():
    from tensorflow.python.framework.config import is_op_determinism_enabled

    keras_cnn.set_seed(0, deterministic=False)
    assert not is_op_determinism_enabled()
    keras_cnn.set_seed(0)
    assert is_op_determinism_enabled()


def test_logits_variant_has_no_softmax(arrays):
    probs = keras_cnn.build_model(seed=0)(arrays[2][:8]).numpy()
    scores = keras_cnn.build_model(seed=0, logits=True)(arrays[2][:8]).numpy()
    assert not np.allclose(scores.sum(axis=1), 1.0)
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    assert np.allclose(exp / exp.sum(axis=1, keepdims=True), probs, atol=1e-6)
