"""Evidence for chapter 6's answer on accuracy: the book's CNN against one change at a time.

Every variant is the Keras CNN of ``dlbook.keras_cnn`` with exactly one change, built and trained
with the same seed, data, epochs and optimiser, then scored on the same test images:

* ``"baseline"``: the CNN itself (the same weights as ``keras_cnn.build_model``);
* ``"augmented"``: random shifts and rotations of the training images in front of the CNN;
* ``"dropout"``: Dropout between the flattened features and the hidden dense layer;
* ``"deeper"``: a second convolution + pooling block (64 filters), which leaves fewer
  features for the dense layer and so fewer parameters.

With a few thousand test images an accuracy is itself uncertain: ``standard_error`` is the
binomial standard error of one accuracy, and ``paired_difference`` compares two models scored
on the same images.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from dlbook import keras_cnn

VARIANTS = ("baseline", "augmented", "dropout", "deeper")
NUM_EPOCHS = keras_cnn.NUM_EPOCHS
MAX_SHIFT = 0.1  # random translation: up to 10% of the height and of the width
MAX_ROTATION = 0.03  # random rotation: up to 3% of a full turn, about 11 degrees
DROPOUT_RATE = 0.5


def augmentation_layers(seed: int) -> list[keras.layers.Layer]:
    """Random shifts and rotations, filling with black; active only while training."""
    return [
        keras.layers.RandomTranslation(MAX_SHIFT, MAX_SHIFT, fill_mode="constant", seed=seed),
        keras.layers.RandomRotation(MAX_ROTATION, fill_mode="constant", seed=seed + 1),
    ]


def build_model(variant: str = "baseline", seed: int = 0) -> keras.Model:
    """The book's CNN with the one change that ``variant`` names, its weights drawn from ``seed``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    keras_cnn.set_seed(seed)
    layers = [keras.Input(shape=(28, 28, 1))]
    if variant == "augmented":
        layers += augmentation_layers(seed)
    layers += [keras.layers.Conv2D(32, kernel_size=3, activation="relu"),
               keras.layers.MaxPooling2D(pool_size=2)]
    if variant == "deeper":
        layers += [keras.layers.Conv2D(64, kernel_size=3, activation="relu"),
                   keras.layers.MaxPooling2D(pool_size=2)]
    layers.append(keras.layers.Flatten())
    if variant == "dropout":
        layers.append(keras.layers.Dropout(DROPOUT_RATE, seed=seed))
    layers += [keras.layers.Dense(128, activation="relu"),
               keras.layers.Dense(10, activation="softmax")]
    return keras.Sequential(layers, name=variant)


def run_variant(variant: str, data, num_epochs: int = NUM_EPOCHS, seed: int = 0) -> dict:
    """Build and train one variant: its parameter count, final accuracies and test predictions."""
    x_test, y_test = data[2], data[3]
    model = build_model(variant, seed)
    history = keras_cnn.train(model, data, num_epochs=num_epochs, seed=seed)
    predicted = keras_cnn.predict(model, x_test)
    return {
        "variant": variant,
        "params": keras_cnn.count_params(model),
        "train_accuracy": history[-1].train_accuracy,
        "test_accuracy": float((predicted == y_test).mean()),
        "predicted": predicted,
        "seconds": sum(h.seconds for h in history),
    }


def standard_error(accuracy: float, num_images: int) -> float:
    """Binomial standard error of an accuracy measured on ``num_images`` images."""
    if num_images <= 0 or not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"need 0 <= accuracy <= 1 and num_images > 0, got {accuracy} and {num_images}")
    return math.sqrt(accuracy * (1.0 - accuracy) / num_images)


def paired_difference(y_true, predicted_a, predicted_b) -> dict:
    """Accuracy of b minus that of a on the same images, with its standard error.

    Only images that exactly one of the two models gets right move the difference: ``gained``
    (b right, a wrong) and ``lost`` (a right, b wrong). The standard error is that of the mean
    of the per-image differences (+1, 0 or -1).
    """
    y_true, predicted_a, predicted_b = map(np.asarray, (y_true, predicted_a, predicted_b))
    if not y_true.shape == predicted_a.shape == predicted_b.shape:
        raise ValueError("y_true, predicted_a and predicted_b must have the same shape, got "
                         f"{y_true.shape}, {predicted_a.shape} and {predicted_b.shape}")
    per_image = (predicted_b == y_true).astype(float) - (predicted_a == y_true).astype(float)
    return {
        "difference": float(per_image.mean()),
        "difference_se": float(per_image.std() / math.sqrt(len(per_image))),
        "gained": int((per_image > 0).sum()),
        "lost": int((per_image < 0).sum()),
    }


def compare_variants(data, variants=VARIANTS, num_epochs: int = NUM_EPOCHS, seed: int = 0) -> list[dict]:
    """``run_variant`` for each variant (same seed, same epochs), each compared with the first."""
    results = [run_variant(v, data, num_epochs, seed) for v in variants]
    for r in results:
        r.update(paired_difference(data[3], results[0]["predicted"], r["predicted"]))
    return results


def format_results(results: list[dict], num_test: int) -> str:
    """One line per variant: parameters, accuracies with standard errors, change against the first."""
    lines = [f"{'variant':<10}{'params':>9}{'train acc':>10}{'test acc':>9}{'s.e.':>7}"
             f"{'difference':>12}{'s.e.':>7}{'gained':>7}{'lost':>5}{'seconds':>8}"]
    for r in results:
        lines.append(
            f"{r['variant']:<10}{r['params']:>9,}{r['train_accuracy']:>10.4f}{r['test_accuracy']:>9.4f}"
            f"{standard_error(r['test_accuracy'], num_test):>7.4f}{r['difference']:>+12.4f}"
            f"{r['difference_se']:>7.4f}{r['gained']:>7}{r['lost']:>5}{r['seconds']:>8.1f}")
    return "\n".join(lines)
