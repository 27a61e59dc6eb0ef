"""dlbook.metrics: confusion matrix, per-class accuracy and seconds per epoch."""

import numpy as np
import pytest

from dlbook import metrics
from dlbook.history import EpochStats


def test_confusion_matrix_counts_pairs():
    m = metrics.confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), num_classes=3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    assert metrics.per_class_accuracy(m).tolist() == [0.5, 1.0, 0.5]


def test_confusion_matrix_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.confusion_matrix(np.zeros(3), np.zeros(4))


def test_seconds_per_epoch_skips_the_first_epoch():
    history = [EpochStats(e, 0, 0, 0, s) for e, s in enumerate([9.0, 1.0, 3.0, 2.0], start=1)]
    assert metrics.seconds_per_epoch(history) == 2.0
    assert metrics.seconds_per_epoch(history[:1]) == 9.0
