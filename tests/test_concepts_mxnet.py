"""dlbook.concepts_mxnet: the chapter 2 MXNet examples do what the chapter says they do."""

import mxnet as mx
import numpy as np
import pytest

from dlbook import concepts_mxnet, mxnet_cnn


@pytest.fixture(scope="module")
def arrays(mnist):
    return mxnet_cnn.prepare_data(mnist)


@pytest.fixture(scope="module")
def sym():
    return concepts_mxnet.build_symbol()


def test_runtime_info():
    info = concepts_mxnet.runtime_info()
    assert info["mxnet"] == "1.9.1" and info["context"] == "cpu(0)"
    assert info["num_gpus"] >= 0


def test_symbol_arguments_and_inferred_shapes(sym):
    assert sym.list_arguments() == ["data", "conv_weight", "conv_bias", "fc1_weight", "fc1_bias",
                                    "fc2_weight", "fc2_bias", "softmax_label"]
    shapes = concepts_mxnet.parameter_shapes(sym)
    assert shapes["conv_weight"] == (32, 1, 3, 3) and shapes["fc1_weight"] == (128, 32 * 13 * 13)
    assert concepts_mxnet.output_shape(sym) == (1, 10)
    assert concepts_mxnet.output_shape(sym, batch_size=7) == (7, 10)


def test_symbol_has_as_many_parameters_as_the_gluon_cnn(sym):
    assert concepts_mxnet.count_symbol_params(sym) == 693_962
    assert concepts_mxnet.count_symbol_params(sym) == mxnet_cnn.count_params(mxnet_cnn.build_model(seed=0))


def test_executor_forward_gives_probabilities(sym, arrays):
    executor = concepts_mxnet.bind_symbol(sym, batch_size=4, seed=0)
    assert executor.arg_dict["conv_bias"].asnumpy().tolist() == [0.0] * 32  # Xavier: biases at zero
    assert executor.arg_dict["conv_weight"].asnumpy().std() > 0
    out = concepts_mxnet.run_symbol(executor, arrays[2][:4])
    assert out.shape == (4, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    again = concepts_mxnet.run_symbol(concepts_mxnet.bind_symbol(sym, batch_size=4, seed=0), arrays[2][:4])
    np.testing.assert_array_equal(again, out)  # the seed fixes the weights


def test_executor_rejects_bad_shapes(sym, arrays):
    with pytest.raises(ValueError, match="positive"):
        concepts_mxnet.bind_symbol(sym, batch_size=0)
    executor = concepts_mxnet.bind_symbol(sym, batch_size=4)
    with pytest.raises(ValueError, match=r"bound for input shape \(4, 1, 28, 28\)"):
        concepts_mxnet.run_symbol(executor, arrays[2][:5])


def test_scale_shift_matches_hand_computation_and_is_traced_once():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5)).astype("float32")
    gamma, beta = rng.normal(size=5).astype("float32"), rng.normal(size=5).astype("float32")
    result = concepts_mxnet.scale_shift_demo(mx.nd.array(x), gamma, beta)
    assert [name.rsplit("_", 1)[1] for name in result["params"]] == ["gamma", "beta"]
    np.testing.assert_allclose(result["imperative"], x * gamma + beta, rtol=1e-6)
    np.testing.assert_allclose(result["hybrid"], result["imperative"], rtol=1e-6)
    # Two imperative calls run hybrid_forward with NDArrays; after hybridize() it runs once,
    # with Symbols, to build the graph, and the next call reuses the graph.
    assert result["calls"] == ["mxnet.ndarray", "mxnet.ndarray", "mxnet.symbol"]


def test_hybridize_keeps_the_outputs(arrays):
    net = concepts_mxnet.build_tiny_net(seed=0)
    before, after = concepts_mxnet.compare_hybridize(net, arrays[2][:16])
    assert before.shape == (16, 10)
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)


def test_export_needs_hybridize_and_round_trips(arrays):
    x = arrays[2][:16]
    net = concepts_mxnet.build_tiny_net(seed=0)
    net(x)
    with pytest.raises(RuntimeError, match="hybridize"):
        concepts_mxnet.export_and_import(net, x)
    concepts_mxnet.compare_hybridize(net, x)
    result = concepts_mxnet.export_and_import(net, x)
    assert result["files"] == ["tiny-0000.params", "tiny-symbol.json"]
    np.testing.assert_array_equal(result["imported"], result["original"])


def test_train_briefly_lowers_the_loss(arrays):
    net = mxnet_cnn.build_model(seed=0)
    losses = concepts_mxnet.train_briefly(net, arrays[0][:128], arrays[1][:128], num_steps=3)
    assert len(losses) == 3 and losses[2] < losses[1] < losses[0]
    with pytest.raises(ValueError, match="positive"):
        concepts_mxnet.train_briefly(net, arrays[0][:8], arrays[1][:8], num_steps=0)


def test_save_and_load_parameters_round_trip(arrays):
    net = mxnet_cnn.build_model(seed=0)
    result = concepts_mxnet.save_and_load(net, arrays[2][:16], seed=1)
    assert not np.allclose(result["other_before"], result["original"])
    np.testing.assert_array_equal(result["other_after"], result["original"])


def test_graph_json_lists_the_operators_in_order(sym):
    assert concepts_mxnet.graph_ops(sym) == ["Convolution", "Activation", "Pooling", "Flatten",
                                             "FullyConnected", "Activation", "FullyConnected",
                                             "SoftmaxOutput"]
