"""Chapter 2's Keras examples: layers, models, optimizers, compile/fit, callbacks, saving.

Each function is one small, fast experiment on the book's CNN (``dlbook.keras_cnn``) or on a
tiny custom layer. The matching MXNet examples are in ``dlbook.concepts_mxnet``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import numpy as np

from dlbook import keras_cnn

BATCH_SIZE = 128
LR = 1e-3


def runtime_info() -> dict[str, str]:
    """Keras version and the backend that runs its computations."""
    return {"keras": keras.__version__, "backend": keras.backend.backend()}


class ScaleShift(keras.layers.Layer):
    """y = x * gamma + beta, one gamma and one beta per feature (the last axis)."""

    def build(self, input_shape):
        units = input_shape[-1]  # known only when the layer first sees an input
        self.gamma = self.add_weight(shape=(units,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(units,), initializer="zeros", name="beta")

    def call(self, x):
        return x * self.gamma + self.beta


def scale_shift_demo(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> dict:
    """Build a ScaleShift by calling it on x, then set its weights to gamma and beta."""
    layer = ScaleShift()
    weights_before = [w.path for w in layer.weights]  # empty: build() has not run yet
    initial = keras.ops.convert_to_numpy(layer(x))  # first call runs build(), then call()
    layer.set_weights([gamma, beta])
    return {
        "weights_before_call": weights_before,
        "weights_after_call": {w.path: tuple(w.shape) for w in layer.weights},
        "initial_output": initial,
        "output": keras.ops.convert_to_numpy(layer(x)),
    }


def build_functional_model(seed: int = 0) -> keras.Model:
    """The book's CNN written with the functional API: layers are called on tensors."""
    keras_cnn.set_seed(seed)
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Conv2D(32, kernel_size=3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(pool_size=2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(128, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="cnn_functional")


def layer_kinds(model: keras.Model) -> list[str]:
    """Class names of the model's layers, without the InputLayer of a functional model."""
    return [type(layer).__name__ for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def probabilities(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Class probabilities from calling the model directly (no predict() loop, no retracing)."""
    return keras.ops.convert_to_numpy(model(x, training=False))


class LossRecorder(keras.callbacks.Callback):
    """Record the loss that fit() reports after every batch (the running mean of the epoch)."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


def train_briefly(model: keras.Model, x: np.ndarray, y: np.ndarray, num_epochs: int = 1,
                  batch_size: int = BATCH_SIZE, lr: float = LR, seed: int = 0) -> dict:
    """compile() then fit() with a LossRecorder callback; return what the loop recorded."""
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"x and y must hold the same, non-zero number of samples, got {len(x)} and {len(y)}")
    keras_cnn.set_seed(seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    recorder = LossRecorder()
    result = model.fit(x, y, batch_size=batch_size, epochs=num_epochs,
                       callbacks=[recorder], verbose=0)
    return {
        "epoch_loss": [float(v) for v in result.history["loss"]],
        "epoch_accuracy": [float(v) for v in result.history["accuracy"]],
        "batch_losses": recorder.losses,
        "optimizer_steps": int(model.optimizer.iterations),
    }


def save_and_reload(model: keras.Model, x: np.ndarray) -> dict:
    """Save the model to a .keras file in a temporary folder, load it back, predict with both."""
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "cnn.keras"
        model.save(path)  # architecture, weights, compile settings and optimizer state
        restored = keras.models.load_model(path)
        size = path.stat().st_size
    return {
        "file_bytes": size,
        "restored_optimizer_steps": int(restored.optimizer.iterations),
        "original": probabilities(model, x),
        "restored": probabilities(restored, x),
    }
