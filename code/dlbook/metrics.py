"""Evaluation helpers shared by both frameworks: they work on NumPy labels and predictions."""

from __future__ import annotations

from statistics import median

import numpy as np

from dlbook.history import EpochStats


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts[i, j] = number of images of class i predicted as class j."""
    y_true, y_pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Share of each class's images that were classified correctly (the recall)."""
    return np.diag(matrix) / matrix.sum(axis=1)


def seconds_per_epoch(history: list[EpochStats]) -> float:
    """Median training time of an epoch, leaving out the first (graph tracing and warm-up)."""
    timed = history[1:] or history
    return float(median(h.seconds for h in timed))
