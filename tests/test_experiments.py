"""dlbook.experiments: each variant of the CNN builds and trains; the statistics are right."""

import math

import keras
import numpy as np
import pytest

from dlbook import experiments, keras_cnn


@pytest.fixture(scope="module")
def small(mnist):
    """512 training and 200 test images."""
    x_train, y_train, x_test, y_test = keras_cnn.prepare_data(mnist)
    return x_train[:512], y_train[:512], x_test[:200], y_test[:200]


@pytest.mark.parametrize("variant", experiments.VARIANTS)
def test_each_variant_trains_for_an_epoch(small, variant):
    result = experiments.run_variant(variant, small, num_epochs=1)
    assert result["variant"] == variant
    assert result["params"] == keras_cnn.count_params(experiments.build_model(variant))
    assert result["predicted"].shape == (200,) and set(np.unique(result["predicted"])) <= set(range(10))
    assert result["test_accuracy"] == pytest.approx((result["predicted"] == small[3]).mean())
    assert 0.2 < result["test_accuracy"] <= 1.0, "chance is 0.10"


def test_compare_variants_measures_against_the_first(small):
    results = experiments.compare_variants(small, variants=("baseline", "dropout"), num_epochs=1)
    assert [r["variant"] for r in results] == ["baseline", "dropout"]
    assert (results[0]["difference"], results[0]["gained"], results[0]["lost"]) == (0.0, 0, 0)
    second = results[1]
    assert second["difference"] == pytest.approx(second["test_accuracy"] - results[0]["test_accuracy"])
    assert second["gained"] - second["lost"] == round(second["difference"] * len(small[3]))


def test_baseline_is_the_books_cnn():
    baseline, book = experiments.build_model("baseline", seed=0), keras_cnn.build_model(seed=0)
    assert [type(layer) for layer in baseline.layers] == [type(layer) for layer in book.layers]
    assert all(np.array_equal(a, b) for a, b in zip(baseline.get_weights(), book.get_weights()))


def test_each_variant_changes_one_thing():
    kinds = {v: [type(layer).__name__ for layer in experiments.build_model(v).layers]
             for v in experiments.VARIANTS}
    base = kinds["baseline"]
    assert kinds["augmented"] == ["RandomTranslation", "RandomRotation"] + base
    assert kinds["dropout"] == base[:3] + ["Dropout"] + base[3:]
    assert kinds["deeper"] == base[:2] + ["Conv2D", "MaxPooling2D"] + base[2:]
    params = {v: keras_cnn.count_params(experiments.build_model(v)) for v in experiments.VARIANTS}
    assert params["augmented"] == params["dropout"] == params["baseline"] == 693_962
    assert params["deeper"] < params["baseline"]


def test_bad_variant():
    with pytest.raises(ValueError, match="variant must be one of"):
        experiments.build_model("bigger")


def test_augmentation_only_while_training(small):
    x = small[2][:8]
    model = experiments.build_model("augmented", seed=0)
    for layer in model.layers[:2]:
        assert np.array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
        assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=True)), x)
    inference = [keras.ops.convert_to_numpy(model(x, training=False)) for _ in range(2)]
    assert np.array_equal(*inference)
    assert not np.allclose(keras.ops.convert_to_numpy(model(x, training=True)), inference[0])
    assert np.array_equal(keras_cnn.predict(model, x), inference[0].argmax(axis=1))


def test_standard_error_known_cases():
    assert experiments.standard_error(0.5, 100) == pytest.approx(0.05)
    assert experiments.standard_error(0.9, 400) == pytest.approx(0.015)
    assert experiments.standard_error(1.0, 2000) == 0.0
    for accuracy, n in ((1.5, 100), (0.5, 0)):
        with pytest.raises(ValueError):
            experiments.standard_error(accuracy, n)


def test_paired_difference_known_case():
    y = [0, 1, 2, 3]
    a = [0, 1, 9, 9]  # right on images 0 and 1
    b = [0, 9, 2, 3]  # right on images 0, 2 and 3
    result = experiments.paired_difference(y, a, b)
    assert result["difference"] == pytest.approx(0.25)
    assert (result["gained"], result["lost"]) == (2, 1)
    # Per-image differences 0, -1, +1, +1: population std sqrt(11/16), over sqrt(4).
    assert result["difference_se"] == pytest.approx(math.sqrt(11 / 16) / 2)
    with pytest.raises(ValueError, match="same shape"):
        experiments.paired_difference(y, a, b[:3])


def test_format_results():
    rows = [{"variant": "deeper", "params": 225_034, "train_accuracy": 0.998, "test_accuracy": 0.974,
             "difference": 0.002, "difference_se": 0.0032, "gained": 23, "lost": 19, "seconds": 10.0}]
    lines = experiments.format_results(rows, num_test=2000).splitlines()
    assert lines[0].split()[:4] == ["variant", "params", "train", "acc"]
    assert lines[1].split() == ["deeper", "225,034", "0.9980", "0.9740", "0.0036", "+0.0020", "0.0032",
                                "23", "19", "10.0"]
