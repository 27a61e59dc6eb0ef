"""dlbook.mxnet_cnn: a correct, hybridized Gluon program that trains reproducibly."""

import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon import nn

from dlbook import mxnet_cnn
from dlbook.history import EpochStats

NUM_EPOCHS = 2


@pytest.fixture(scope="module")
def arrays(mnist):
    return mxnet_cnn.prepare_data(mnist)


@pytest.fixture(scope="module")
def trained(arrays):
    net = mxnet_cnn.build_model(seed=0)
    history = mxnet_cnn.train(net, arrays, num_epochs=NUM_EPOCHS)
    return net, history


def test_prepare_data(arrays):
    x_train, y_train, x_test, y_test = arrays
    assert x_train.shape == (8000, 1, 28, 28) and x_train.dtype == np.float32
    assert x_test.shape == (2000, 1, 28, 28)
    assert x_train.min().asscalar() == 0.0 and x_train.max().asscalar() == 1.0
    assert y_train.shape == (8000,)


def test_architecture_and_parameter_count():
    net = mxnet_cnn.build_model(seed=0)
    assert mxnet_cnn.count_params(net) == 693_962
    kinds = [type(block).__name__ for block in net]
    assert kinds == ["Conv2D", "MaxPool2D", "Flatten", "Dense", "Dense"]


def test_output_is_logits_not_softmax(arrays):
    """SoftmaxCrossEntropyLoss applies softmax itself: the net must not apply it too."""
    net = mxnet_cnn.build_model(seed=0)
    out = net(arrays[2][:16]).asnumpy()
    assert out.shape == (16, 10)
    assert not np.allclose(out.sum(axis=1), 1.0, atol=1e-3)
    assert (out < 0).any()


def test_training_lowers_loss_and_beats_chance(trained, arrays):
    net, history = trained
    assert [h.epoch for h in history] == list(range(1, NUM_EPOCHS + 1))
    assert all(isinstance(h, EpochStats) and h.seconds > 0 for h in history)
    assert history[-1].loss < history[0].loss
    accuracy = mxnet_cnn.evaluate(net, arrays[2], arrays[3])
    assert accuracy > 0.85, "chance is 0.10"
    assert accuracy == history[-1].test_accuracy


def test_training_runs_the_hybridized_graph(trained, arrays, tmp_path):
    """After hybridize() the forward pass is a cached symbolic graph; export and reload it."""
    net, _ = trained
    assert net._active and net._cached_op is not None
    net.export(str(tmp_path / "cnn"))
    graph = (tmp_path / "cnn-symbol.json").read_text()
    assert "Convolution" in graph and "FullyConnected" in graph and "Pooling" in graph
    symbolic = nn.SymbolBlock.imports(
        str(tmp_path / "cnn-symbol.json"), ["data"], str(tmp_path / "cnn-0000.params")
    )
    x = arrays[2][:64]
    assert np.allclose(symbolic(x).asnumpy(), net(x).asnumpy(), atol=1e-5)


def test_predict_returns_classes(trained, arrays):
    net, _ = trained
    predicted = mxnet_cnn.predict(net, arrays[2][:50])
    assert predicted.shape == (50,) and set(np.unique(predicted)) <= set(range(10))


def test_seeded_runs_are_bit_identical(trained, arrays):
    net, history = trained
    again = mxnet_cnn.build_model(seed=0)
    history_again = mxnet_cnn.train(again, arrays, num_epochs=NUM_EPOCHS)
    strip = lambda hs: [(h.loss, h.train_accuracy, h.test_accuracy) for h in hs]  # noqa: E731
    assert strip(history_again) == strip(history)
    for p1, p2 in zip(net.collect_params().values(), again.collect_params().values()):
        assert np.array_equal(p1.data().asnumpy(), p2.data().asnumpy())


def test_sampler_is_a_seeded_permutation():
    first = mxnet_cnn.SeededSampler(100, seed=3)
    epoch1, epoch2 = list(first), list(first)
    assert sorted(epoch1) == list(range(100)) and epoch1 != epoch2
    assert list(mxnet_cnn.SeededSampler(100, seed=3)) == epoch1


def test_another_seed_gives_other_weights():
    w0 = mxnet_cnn.build_model(seed=0)[0].weight.data().asnumpy()
    w1 = mxnet_cnn.build_model(seed=1)[0].weight.data().asnumpy()
    assert not np.array_equal(w0, w1)


def test_same_hyperparameters_as_keras():
    from dlbook import keras_cnn

    assert (mxnet_cnn.NUM_EPOCHS, mxnet_cnn.BATCH_SIZE, mxnet_cnn.LR) == (
        keras_cnn.NUM_EPOCHS, keras_cnn.BATCH_SIZE, keras_cnn.LR)


def test_sliced_batches_are_the_data_loaders_batches(arrays):
    x, y = arrays[0][:300], arrays[1][:300]
    loaded = [(bx.asnumpy(), by.asnumpy()) for bx, by in mxnet_cnn.data_loader(x, y, 128, seed=5)]
    sliced = [(bx.asnumpy(), by.asnumpy()) for bx, by in mxnet_cnn.sliced_batches(x, y, 128, seed=5)]
    assert [len(b[1]) for b in sliced] == [128, 128, 44]
    for (x1, y1), (x2, y2) in zip(loaded, sliced, strict=True):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


@pytest.mark.parametrize("mode, active", [("static", True), ("plain", True), (None, False)])
def test_hybridize_modes(mode, active):
    net = mxnet_cnn.build_model(seed=0, hybridize=mode)
    assert net._active is active
    if mode:
        flags = dict(net._flags)
        assert flags["static_alloc"] is flags["static_shape"] is (mode == "static")


def test_unknown_hybridize_mode():
    with pytest.raises(ValueError, match="hybridize must be"):
        mxnet_cnn.build_model(seed=0, hybridize="fast")
