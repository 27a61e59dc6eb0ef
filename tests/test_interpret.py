"""dlbook.interpret: gradient saliency maps of the Keras CNN."""

import numpy as np
import pytest

from dlbook import interpret, keras_cnn
from dlbook.plots import BookFigure


@pytest.fixture(scope="module")
def model():
    return keras_cnn.build_model(seed=0)


@pytest.fixture(scope="module")
def images(mnist):
    return keras_cnn.prepare_data(mnist)[2][:6]


def test_scores_are_the_logits_of_the_softmax(model, images):
    scores = np.asarray(interpret.class_scores(model, images))
    probs = model.predict(images, verbose=0)
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    assert np.allclose(exp / exp.sum(axis=1, keepdims=True), probs, atol=1e-6)


def test_saliency_has_the_image_shape_and_is_nonnegative_and_not_zero(model, images):
    saliency, predicted = interpret.saliency(model, images)
    assert saliency.shape == (6, 28, 28)
    assert (saliency >= 0).all()
    assert (saliency.reshape(6, -1).max(axis=1) > 0).all(), "every image has some salient pixel"
    assert predicted.tolist() == model.predict(images, verbose=0).argmax(axis=1).tolist()


def test_saliency_is_the_gradient_of_the_predicted_score(model, images):
    """A central finite difference on the most salient pixel gives the same slope."""
    saliency, predicted = interpret.saliency(model, images[:1])
    row, col = np.unravel_index(saliency[0].argmax(), (28, 28))
    eps = 1e-3
    plus, minus = images[:1].copy(), images[:1].copy()
    plus[0, row, col, 0] += eps
    minus[0, row, col, 0] -= eps
    slope = (np.asarray(interpret.class_scores(model, plus))[0, predicted[0]]
             - np.asarray(interpret.class_scores(model, minus))[0, predicted[0]]) / (2 * eps)
    assert abs(slope) == pytest.approx(saliency[0, row, col], rel=0.02)


def test_probability_gradient_and_ink_share(model, images):
    gradient, probability = interpret.probability_gradient(model, images)
    assert gradient.shape == probability.shape == (6,)
    assert (gradient >= 0).all() and ((probability > 0.1) & (probability <= 1)).all()
    saliency, _ = interpret.saliency(model, images)
    on_ink, ink = interpret.share_on_ink(saliency, images)
    assert 0 < on_ink < 1 and 0 < ink < 1


def test_bad_shapes_are_refused(model, images):
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28, 1\)"):
        interpret.saliency(model, images[..., 0])
    with pytest.raises(ValueError, match="same length"):
        interpret.saliency_figure(images, np.zeros((5, 28, 28)), np.zeros(6), np.zeros(6))


def test_figure_pairs_each_digit_with_its_map(model, images):
    saliency, predicted = interpret.saliency(model, images)
    fig = interpret.saliency_figure(images, saliency, np.zeros(6, int), predicted, per_row=4)
    assert isinstance(fig, BookFigure)
    assert len(fig.axes) == 2 * 2 * 4, "two rows of four (digit, saliency) pairs"
    assert [ax.get_title() for ax in fig.axes[1:12:2]] == ["saliency"] * 6
    assert fig._repr_png_().startswith(b"\x89PNG")
