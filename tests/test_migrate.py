"""dlbook.migrate: a Gluon CNN ported to Keras computes the same function, and a naive port does not."""

import keras
import numpy as np
import pytest

from dlbook import keras_cnn, migrate, mxnet_cnn

NUM_IMAGES = 200


@pytest.fixture(scope="module")
def net():
    """An untrained (randomly initialised) Gluon CNN: equality does not need training."""
    return mxnet_cnn.build_model(seed=0)


@pytest.fixture(scope="module")
def params(net, tmp_path_factory):
    path = tmp_path_factory.mktemp("params") / "cnn.params"
    net.save_parameters(str(path))
    return migrate.read_mxnet_params(path)


@pytest.fixture(scope="module")
def x_test(mnist):
    return mxnet_cnn.prepare_data(mnist)[2][:NUM_IMAGES].asnumpy()


def test_read_mxnet_params(params):
    assert {name: a.shape for name, a in params.items()} == {
        "0.weight": (32, 1, 3, 3), "0.bias": (32,),
        "3.weight": (128, 5408), "3.bias": (128,),
        "4.weight": (10, 128), "4.bias": (10,),
    }
    assert all(isinstance(a, np.ndarray) for a in params.values())


def test_convert_conv_kernel_on_a_known_array():
    weight = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)  # (out=2, in=3, kh=2, kw=2)
    kernel = migrate.convert_conv_kernel(weight)
    assert kernel.shape == (2, 2, 3, 2)  # (kh, kw, in, out)
    for o in range(2):
        for i in range(3):
            for h in range(2):
                for w in range(2):
                    assert kernel[h, w, i, o] == weight[o, i, h, w]
    with pytest.raises(ValueError, match=r"\(out, in, kh, kw\)"):
        migrate.convert_conv_kernel(np.zeros((3, 3)))


def test_convert_dense_kernel():
    weight = np.array([[1, 2, 3], [4, 5, 6]])  # (out=2, in=3)
    np.testing.assert_array_equal(migrate.convert_dense_kernel(weight), [[1, 4], [2, 5], [3, 6]])
    with pytest.raises(ValueError, match=r"\(out, in\)"):
        migrate.convert_dense_kernel(np.zeros((2, 3, 4)))


def test_nchw_to_nhwc():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    y = migrate.nchw_to_nhwc(x)
    assert y.shape == (2, 4, 5, 3) and y[1, 2, 3, 0] == x[1, 0, 2, 3]
    with pytest.raises(ValueError, match="N, C, H, W"):
        migrate.nchw_to_nhwc(np.zeros((4, 5)))
    with pytest.raises(TypeError, match="asnumpy"):
        migrate.nchw_to_nhwc([[1.0]])


def test_permutation_against_an_explicit_transpose():
    channels, height, width = 2, 3, 4
    feature_map = np.random.default_rng(1).normal(size=(channels, height, width))
    p = migrate.dense_after_flatten_permutation(channels, height, width)
    np.testing.assert_array_equal(feature_map.ravel()[p], feature_map.transpose(1, 2, 0).ravel())
    np.testing.assert_array_equal(migrate.dense_after_flatten_permutation(2, 2, 3),
                                  [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11])
    assert sorted(p) == list(range(channels * height * width))


def test_permuted_dense_layer_computes_the_same_product():
    """x_nchw @ W.T == x_nhwc @ (W.T)[p] for a Dense layer right after Flatten."""
    rng = np.random.default_rng(2)
    channels, height, width, units = 3, 2, 2, 5
    fmap = rng.normal(size=(channels, height, width))
    weight = rng.normal(size=(units, channels * height * width))  # Gluon's (out, in)
    kernel = migrate.convert_dense_kernel(weight)[
        migrate.dense_after_flatten_permutation(channels, height, width)]
    np.testing.assert_allclose(fmap.transpose(1, 2, 0).ravel() @ kernel, weight @ fmap.ravel())


def test_keras_flatten_orders_h_w_c_even_for_channels_first():
    """Keeping NCHW in Keras would not spare the permutation."""
    x = np.arange(12, dtype="float32").reshape(1, 2, 2, 3)  # (N, C, H, W)
    flat = np.asarray(keras.layers.Flatten(data_format="channels_first")(x))[0]
    np.testing.assert_array_equal(flat, x[0].transpose(1, 2, 0).ravel())


def test_keras_twin_has_the_gluon_shapes(net):
    twin = migrate.build_keras_twin()
    assert [type(layer).__name__ for layer in twin.layers] == [
        "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert twin.count_params() == mxnet_cnn.count_params(net)
    assert twin.layers[-1].activation is keras.activations.linear  # logits


def test_port_gives_the_same_outputs(net, params, x_test):
    model = migrate.port_mxnet_cnn_to_keras(params)
    result = migrate.compare_outputs(net, model, x_test)
    assert result["max_abs_diff"] < 1e-5
    assert result["agreement"] == 1.0
    np.testing.assert_array_equal(result["mxnet_pred"], result["keras_pred"])


def test_naive_port_without_the_permutation_is_wrong(net, params, x_test):
    naive = migrate.port_mxnet_cnn_to_keras(params, permute_flatten=False)
    result = migrate.compare_outputs(net, naive, x_test)
    assert result["max_abs_diff"] > 1e-2
    assert result["agreement"] < 0.9


def test_port_into_the_books_softmax_model(net, params, x_test):
    model = migrate.port_mxnet_cnn_to_keras(params, model=keras_cnn.build_model(seed=1))
    result = migrate.compare_outputs(net, model, x_test, probabilities=True)
    assert result["max_abs_diff"] < 1e-6 and result["agreement"] == 1.0
    assert result["max_abs_output"] <= 1.0


def test_weight_layouts(params):
    model = migrate.port_mxnet_cnn_to_keras(params)
    rows = migrate.weight_layouts(params, model)
    assert rows[0] == ("0.weight", (32, 1, 3, 3), (3, 3, 1, 32))
    assert rows[2] == ("3.weight", (128, 5408), (5408, 128))
    assert [row[0] for row in rows] == list(params)


def test_port_rejects_missing_extra_and_misshaped_params(params):
    missing = {k: v for k, v in params.items() if k != "3.bias"}
    with pytest.raises(KeyError, match="3.bias"):
        migrate.port_mxnet_cnn_to_keras(missing)
    with pytest.raises(ValueError, match="no layer for"):
        migrate.port_mxnet_cnn_to_keras({**params, "5.weight": np.zeros((10, 10))})
    with pytest.raises(ValueError, match="expects"):
        migrate.port_mxnet_cnn_to_keras({**params, "4.weight": np.zeros((7, 128), "float32")})


def test_compiled_port_reproduces_the_gluon_loss(net, params, x_test, mnist):
    model = migrate.compile_ported(migrate.port_mxnet_cnn_to_keras(params))
    assert model.optimizer.epsilon == 1e-8
    losses = migrate.compare_losses(net, model, x_test, mnist.y_test[:NUM_IMAGES])
    assert losses["keras_loss"] == pytest.approx(losses["mxnet_loss"], rel=1e-5)
    assert 0.0 <= losses["keras_accuracy"] <= 1.0


def test_softmax_rows_sum_to_one():
    probs = migrate.softmax(np.array([[1000.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(probs, [[1.0, 0.0], [0.5, 0.5]])
