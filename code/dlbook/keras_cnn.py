"""The article's CNN in Keras 3: prepare data, build, train, evaluate, predict.

Conv2D(32, 3x3, ReLU) -> MaxPooling2D(2x2) -> Flatten -> Dense(128, ReLU) -> Dense(10, softmax),
trained with Adam on cross-entropy, batch size 128. The same function names appear in
``dlbook.mxnet_cnn``.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from dlbook.data import MNIST
from dlbook.history import EpochStats

NUM_EPOCHS = 10
BATCH_SIZE = 128
LR = 1e-3


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the backend; make TensorFlow's kernels deterministic (or not)."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if deterministic:
            tf.config.experimental.enable_op_determinism()
        else:  # only to measure what determinism costs (dlbook.bench); no public API for it
            from tensorflow.python.framework.config import disable_op_determinism

            disable_op_determinism()


def prepare_data(data: MNIST):
    """Scale pixels to [0, 1] float32 with a channel axis last: (N, 28, 28, 1)."""
    def images(x):
        return (x.astype("float32") / 255.0)[..., np.newaxis]

    return images(data.x_train), data.y_train.astype("int32"), images(data.x_test), data.y_test.astype("int32")


def build_model(seed: int = 0, logits: bool = False) -> keras.Model:
    """The CNN as a Sequential model, its weights drawn from ``seed``.

    The last layer applies softmax; ``logits=True`` leaves it out, as the Gluon net does.
    """
    set_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, kernel_size=3, activation="relu"),
            keras.layers.MaxPooling2D(pool_size=2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation=None if logits else "softmax"),
        ],
        name="cnn_logits" if logits else "cnn",
    )


class _EpochTimer(keras.callbacks.Callback):
    """Seconds spent on the training part of each epoch (the test pass excluded)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start, self.stop = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        self.stop = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["seconds"] = (self.stop or time.perf_counter()) - self.start


def train(model: keras.Model, data, num_epochs: int = NUM_EPOCHS, batch_size: int = BATCH_SIZE,
          lr: float = LR, seed: int = 0, jit_compile: bool | str = "auto",
          deterministic: bool = True) -> list[EpochStats]:
    """Compile with Adam and cross-entropy, fit, and return one ``EpochStats`` per epoch.

    ``jit_compile="auto"`` lets Keras decide whether to compile the step with XLA; with
    TensorFlow's deterministic kernels switched on it decides not to.
    """
    x_train, y_train, x_test, y_test = data
    set_seed(seed, deterministic)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )
    result = model.fit(
        x_train, y_train, batch_size=batch_size, epochs=num_epochs, shuffle=True,
        validation_data=(x_test, y_test), callbacks=[_EpochTimer()], verbose=0,
    )
    h = result.history
    return [
        EpochStats(epoch + 1, float(h["loss"][epoch]), float(h["accuracy"][epoch]),
                   float(h["val_accuracy"][epoch]), float(h["seconds"][epoch]))
        for epoch in range(num_epochs)
    ]


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Predicted class of each image: direct calls in inference mode (no dropout, no augmentation).

    Direct calls rather than ``model.predict``, which traces a new function for every model
    and makes TensorFlow warn about retracing once several models have been evaluated.
    """
    parts = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=False)).argmax(axis=1)
             for i in range(0, len(x), batch_size)]
    return np.concatenate(parts)


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy on (x, y)."""
    return float((predict(model, x) == y).mean())


def count_params(model: keras.Model) -> int:
    """Number of trainable and non-trainable parameters."""
    return int(model.count_params())
