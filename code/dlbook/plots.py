"""Figures of the book, made with matplotlib's object API (English labels; captions live in the prose).

Each function returns a ``BookFigure``, a ``matplotlib.figure.Figure`` that Jupyter shows as a
PNG; the chapters glue it into the page. No pyplot: nothing is shown twice, no global state.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

from dlbook.history import EpochStats

DPI = 110


class BookFigure(Figure):
    """A Figure that renders itself as PNG in Jupyter (and so in the book) without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()


def training_curves(history: list[EpochStats], title: str) -> Figure:
    """Training loss (left) and training/test accuracy (right) against the epoch."""
    epochs = [h.epoch for h in history]
    fig = BookFigure(figsize=(8, 3), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, [h.loss for h in history], marker="o")
    loss_ax.set(xlabel="epoch", ylabel="training loss", title=f"{title}: loss")
    acc_ax.plot(epochs, [h.train_accuracy for h in history], marker="o", label="training")
    acc_ax.plot(epochs, [h.test_accuracy for h in history], marker="s", label="test")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title=f"{title}: accuracy")
    acc_ax.legend()
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.set_xticks(epochs)
    return fig


def digit_grid(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
               rows: int = 3, cols: int = 8) -> Figure:
    """The first rows*cols images with their predicted labels; wrong predictions in red."""
    if not len(images) == len(labels) == len(predicted):
        raise ValueError("images, labels and predicted must have the same length")
    count = min(rows * cols, len(images))
    fig = BookFigure(figsize=(cols * 1.1, rows * 1.3), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, image, label, guess in zip(axes, images[:count], labels[:count], predicted[:count]):
        ax.imshow(image.reshape(28, 28), cmap="gray_r")
        ok = int(label) == int(guess)
        ax.set_title(f"pred {guess}" if ok else f"pred {guess} (is {label})",
                     fontsize=8, color="black" if ok else "red")
    return fig


def confusion_figure(matrix: np.ndarray, title: str) -> Figure:
    """A confusion matrix as a heat map with the count in each cell."""
    fig = BookFigure(figsize=(5, 4.4), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    n = len(matrix)
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted label", ylabel="true label", title=title)
    threshold = matrix.max() / 2
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] > threshold else "black")
    return fig
