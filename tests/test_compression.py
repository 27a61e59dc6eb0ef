"""dlbook.compression: int8 quantization and magnitude pruning of the Keras CNN, measured."""

import keras
import numpy as np
import pytest

from dlbook import compression, keras_cnn

NUM_PARAMS = 693_962


@pytest.fixture(scope="module")
def untrained():
    return keras_cnn.build_model(seed=0)


@pytest.fixture(scope="module")
def arrays(keras_arrays):
    return keras_arrays


@pytest.fixture(scope="module")
def trained(keras_trained):
    return keras_trained[0]


def test_float32_bytes_are_four_per_parameter(untrained):
    assert compression.weight_bytes(untrained) == 4 * NUM_PARAMS
    assert compression.nonzero_weights(untrained) <= NUM_PARAMS


def test_int8_quantizes_the_dense_layers_and_stores_about_four_times_less(untrained):
    quantized, layers = compression.quantize_int8(untrained)
    assert [type(quantized.get_layer(name)).__name__ for name in layers] == ["Dense", "Dense"]
    assert {w.dtype for w in quantized.weights if "kernel" in w.path and "scale" not in w.path} \
        == {"float32", "int8"}  # the Conv2D kernel stays float32
    ratio = compression.weight_bytes(untrained) / compression.weight_bytes(quantized)
    assert 3.9 < ratio < 4.0, "int8 is 1 byte instead of 4; conv weights, biases and scales stay float32"
    assert compression.weight_bytes(untrained) == 4 * NUM_PARAMS, "the original is left as it was"


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9])
def test_pruning_zeroes_exactly_the_fraction_asked(untrained, sparsity):
    pruned = compression.prune_magnitude(untrained, sparsity)
    kernel = compression.largest_dense(pruned).kernel.numpy()
    assert kernel.shape == (5408, 128)
    assert compression.sparsity_of(pruned) == pytest.approx(sparsity, abs=1 / kernel.size)
    original = np.abs(compression.largest_dense(untrained).kernel.numpy())
    if sparsity:  # the zeroed weights are the smallest in magnitude
        assert original[kernel == 0].max() <= original[kernel != 0].min()
    assert compression.weight_bytes(pruned) == compression.weight_bytes(untrained), "zeros take space"
    assert compression.sparsity_of(untrained) == 0.0, "the original is left as it was"


def test_saved_weights_file_follows_the_stored_bytes(untrained):
    quantized, _ = compression.quantize_int8(untrained)
    for model in (untrained, quantized, compression.prune_magnitude(untrained, 0.9)):
        overhead = compression.saved_bytes(model) - compression.weight_bytes(model)
        assert 0 < overhead < 50_000, "an HDF5 file: the weights plus a small header"


def test_a_compiled_model_saves_its_optimizer_state_too(untrained):
    compiled = compression.copy_model(untrained)
    compiled.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    compiled.optimizer.build(compiled.trainable_variables)  # Adam's two moments per weight
    assert compression.saved_bytes(compiled, weights_only=False) > 2.9 * compression.weight_bytes(compiled)
    assert not compression.copy_model(compiled).compiled, "copies leave the optimizer behind"


def test_pruned_weights_zip_smaller(untrained):
    pruned = compression.prune_magnitude(untrained, 0.9)
    assert compression.zipped_bytes(pruned) < 0.25 * compression.zipped_bytes(untrained)


def test_bad_input_is_refused(untrained):
    for sparsity in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="sparsity"):
            compression.prune_magnitude(untrained, sparsity)
    no_dense = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="no Dense layer"):
        compression.largest_dense(no_dense)


@pytest.mark.slow  # trains for two epochs, then compresses five ways
def test_compressed_models_keep_their_accuracy(trained, arrays):
    _, _, x_test, y_test = arrays
    rows = compression.compare(trained, x_test, y_test)
    assert [r.name for r in rows] == ["float32 (trained)", "int8 (quantize)", "pruned 50%",
                                      "pruned 90%", "pruned 90% + int8"]
    assert rows[0].accuracy == pytest.approx(keras_cnn.evaluate(trained, x_test, y_test), abs=1e-6)
    for row in rows:
        assert row.accuracy > 0.9, row
    assert rows[1].stored_bytes == rows[4].stored_bytes < rows[0].stored_bytes / 3.9
    assert rows[0].saved_bytes == rows[2].saved_bytes == rows[3].saved_bytes, "zeros are saved too"
    assert rows[1].saved_bytes < rows[0].saved_bytes / 3.5
    assert rows[3].nonzero < 0.11 * rows[0].nonzero
    assert rows[4].zipped_bytes < rows[3].zipped_bytes < rows[2].zipped_bytes < rows[0].zipped_bytes
    assert "pruned 90% + int8" in compression.format_table(rows)
