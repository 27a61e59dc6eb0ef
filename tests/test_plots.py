"""dlbook.plots: every figure renders to PNG by itself, with the content the captions describe."""

import numpy as np
import pytest

from dlbook import plots
from dlbook.history import EpochStats

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def history():
    return [EpochStats(e, 1.0 / e, 0.8 + e / 100, 0.75 + e / 100, 0.5) for e in range(1, 4)]


def test_training_curves(history):
    fig = plots.training_curves(history, "Keras")
    loss_ax, acc_ax = fig.axes
    assert list(loss_ax.lines[0].get_ydata()) == [1.0, 0.5, 1 / 3]
    assert [line.get_label() for line in acc_ax.lines] == ["training", "test"]
    assert fig._repr_png_().startswith(PNG)


def test_digit_grid_marks_wrong_predictions_in_red():
    images = np.zeros((3, 28, 28), np.uint8)
    fig = plots.digit_grid(images, np.array([1, 2, 3]), np.array([1, 5, 3]), rows=1, cols=3)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["pred 1", "pred 5 (is 2)", "pred 3"]
    assert titles[1].get_color() == "red" and titles[0].get_color() == "black"
    assert fig._repr_png_().startswith(PNG)


def test_digit_grid_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        plots.digit_grid(np.zeros((2, 28, 28)), np.array([1]), np.array([1, 2]))


def test_confusion_figure_writes_every_count():
    matrix = np.arange(9).reshape(3, 3)
    fig = plots.confusion_figure(matrix, "cm")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [str(v) for v in range(9)]
    assert fig._repr_png_().startswith(PNG)


def test_png_is_reproducible(history):
    assert plots.training_curves(history, "x")._repr_png_() == plots.training_curves(history, "x")._repr_png_()
