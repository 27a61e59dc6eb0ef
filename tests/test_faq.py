"""dlbook.faq: both frameworks draw initial weights from the same Glorot distribution, not the same values."""

import numpy as np
import pytest

from dlbook import faq


@pytest.fixture(scope="module")
def report():
    return faq.initialisation_report(seed=0)


def test_glorot_limit():
    assert faq.glorot_limit(2, 4) == pytest.approx(1.0)


def test_fans_follow_keras_layout():
    assert faq.fans(np.zeros((3, 3, 1, 32))) == (9, 288)
    assert faq.fans(np.zeros((5408, 128))) == (5408, 128)


def test_same_distribution_different_values(report):
    assert [r["layer"] for r in report] == list(faq.LAYERS)
    assert [r["shape"] for r in report] == [(3, 3, 1, 32), (5408, 128), (128, 10)]
    for r in report:
        # Both stay inside the Glorot bound and nearly reach it ...
        assert 0.9 * r["limit"] < r["keras_max"] <= r["limit"] * (1 + 1e-6)
        assert 0.9 * r["limit"] < r["mxnet_max"] <= r["limit"] * (1 + 1e-6)
        # ... with the standard deviation of a uniform distribution, limit / sqrt(3) ...
        for std in (r["keras_std"], r["mxnet_std"]):
            assert std == pytest.approx(r["limit"] / np.sqrt(3), rel=0.15)
        # ... but the numbers themselves differ.
        assert r["equal_share"] < 0.01


def test_format_report(report):
    lines = faq.format_report(report).splitlines()
    assert lines[0].split()[:3] == ["layer", "shape", "limit"] and len(lines) == 4
