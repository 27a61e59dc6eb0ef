"""Gradient saliency maps of the book's Keras CNN (TensorFlow backend).

The saliency of a pixel is the absolute value of the gradient of the predicted class's score
with respect to that pixel (Simonyan, Vedaldi and Zisserman, 2014): how much the score would
change if that pixel alone changed a little. The score is taken *before* the softmax: the
softmax probability of a confident prediction is flat (close to 1), so its gradient vanishes.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from dlbook.plots import BookFigure


def class_scores(model: keras.Model, x) -> tf.Tensor:
    """Scores before the softmax: every layer, the last one without its activation."""
    *body, last = model.layers
    if not isinstance(last, keras.layers.Dense):
        raise ValueError(f"the last layer must be Dense, not {type(last).__name__}")
    h = x
    for layer in body:
        h = layer(h)
    return keras.ops.matmul(h, last.kernel) + last.bias


def saliency(model: keras.Model, images: np.ndarray):
    """|d score of the predicted class / d pixel| per image, and the predictions."""
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("saliency uses tf.GradientTape: it needs the TensorFlow "
                           f"backend, not {keras.backend.backend()!r}")
    if images.ndim != 4 or images.shape[1:] != tuple(model.input_shape[1:]):
        shape = ", ".join(map(str, model.input_shape[1:]))
        raise ValueError(f"images must have shape (N, {shape}), got {images.shape}")
    x = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)  # x is a constant, not a variable: ask the tape to follow it
        scores = class_scores(model, x)
        predicted = tf.argmax(scores, axis=1)
        top = tf.gather(scores, predicted, axis=1, batch_dims=1)
    gradient = tape.gradient(top, x)
    return np.abs(gradient.numpy()).max(axis=-1), predicted.numpy()


def probability_gradient(model: keras.Model, images: np.ndarray):
    """Largest |d probability of the prediction / d pixel| per image, and that probability."""
    x = tf.convert_to_tensor(images, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        probs = model(x, training=False)
        top = tf.gather(probs, tf.argmax(probs, axis=1), axis=1, batch_dims=1)
    gradient = np.abs(tape.gradient(top, x).numpy())
    return gradient.reshape(len(images), -1).max(axis=1), top.numpy()


def share_on_ink(saliency_maps: np.ndarray, images: np.ndarray) -> tuple[float, float]:
    """Fraction of the total saliency on pixels with ink, and the fraction of pixels with ink."""
    ink = images.reshape(saliency_maps.shape) > 0
    return float(saliency_maps[ink].sum() / saliency_maps.sum()), float(ink.mean())


def saliency_figure(images: np.ndarray, saliency_maps: np.ndarray, labels: np.ndarray,
                    predicted: np.ndarray, per_row: int = 4) -> BookFigure:
    """Each digit with its saliency map to its right; wrong predictions titled in red."""
    if not len(images) == len(saliency_maps) == len(labels) == len(predicted):
        raise ValueError("images, saliency_maps, labels and predicted must have the same length")
    rows = -(-len(images) // per_row)
    fig = BookFigure(figsize=(per_row * 2.2, rows * 1.25), layout="constrained")
    axes = fig.subplots(rows, 2 * per_row, squeeze=False).ravel()
    for ax in axes:
        ax.axis("off")
    for i, (image, heat, label, guess) in enumerate(zip(images, saliency_maps, labels, predicted)):
        ok = int(label) == int(guess)
        axes[2 * i].imshow(image.reshape(28, 28), cmap="gray_r")
        axes[2 * i].set_title(f"pred {guess}" if ok else f"pred {guess} (is {label})",
                              fontsize=8, color="black" if ok else "red")
        axes[2 * i + 1].imshow(heat, cmap="hot")
        # the digit's outline over its saliency map, to see which pixels are ink
        axes[2 * i + 1].contour(image.reshape(28, 28), levels=[0.5 * image.max()], colors="cyan",
                                linewidths=0.6)
        axes[2 * i + 1].set_title("saliency", fontsize=8)
    return fig
