"""The article's CNN in MXNet Gluon: prepare data, build, train, evaluate, predict.

Conv2D(32, 3x3, ReLU) -> MaxPool2D(2x2) -> Flatten -> Dense(128, ReLU) -> Dense(10),
trained with Adam on softmax cross-entropy, batch size 128. The last layer returns logits:
``SoftmaxCrossEntropyLoss`` applies the softmax itself (the article applied it twice).
The same function names appear in ``dlbook.keras_cnn``.
"""

from __future__ import annotations

import random
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon import nn

from dlbook.data import MNIST
from dlbook.history import EpochStats

NUM_EPOCHS = 10
BATCH_SIZE = 128
LR = 1e-3
CTX = mx.cpu()


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and MXNet's generator (weight initialisation)."""
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


def prepare_data(data: MNIST):
    """Scale pixels to [0, 1] float32 with the channel axis first: (N, 1, 28, 28)."""
    def images(x):
        return mx.nd.array((x.astype("float32") / 255.0)[:, np.newaxis], ctx=CTX)

    def labels(y):
        return mx.nd.array(y, ctx=CTX, dtype="float32")

    return images(data.x_train), labels(data.y_train), images(data.x_test), labels(data.y_test)


def build_model(seed: int = 0, hybridize: str | None = "static") -> nn.HybridSequential:
    """The CNN as a HybridSequential, initialised from ``seed``.

    ``hybridize``: ``"static"`` (the default: a symbolic graph with memory and shapes planned
    once), ``"plain"`` (a symbolic graph) or ``None`` (stay imperative).
    """
    if hybridize not in ("static", "plain", None):
        raise ValueError(f"hybridize must be 'static', 'plain' or None, got {hybridize!r}")
    set_seed(seed)
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(32, kernel_size=3, activation="relu"),
        nn.MaxPool2D(pool_size=2),
        nn.Flatten(),
        nn.Dense(128, activation="relu"),
        nn.Dense(10),
    )
    net.initialize(mx.init.Xavier(), ctx=CTX)
    net(mx.nd.zeros((1, 1, 28, 28), ctx=CTX))  # infer the deferred shapes now
    if hybridize:
        static = hybridize == "static"
        net.hybridize(static_alloc=static, static_shape=static)
    return net


class SeededSampler(gluon.data.Sampler):
    """A fresh random order of ``length`` indices every epoch, from its own generator."""

    def __init__(self, length: int, seed: int):
        self._length, self._rng = length, np.random.RandomState(seed)

    def __iter__(self):
        return iter(self._rng.permutation(self._length).tolist())

    def __len__(self):
        return self._length


def data_loader(x, y, batch_size: int, seed: int):
    """Mini-batches in a seeded random order, through Gluon's DataLoader."""
    return gluon.data.DataLoader(
        gluon.data.ArrayDataset(x, y), batch_size=batch_size,
        sampler=SeededSampler(len(x), seed), last_batch="keep",
    )


def sliced_batches(x, y, batch_size: int, seed: int):
    """The same mini-batches as ``data_loader``, cut from the arrays with one ``take`` each."""
    sampler = SeededSampler(len(x), seed)

    class Batches:
        def __iter__(self):
            order = mx.nd.array(list(sampler), ctx=x.context, dtype="int64")
            for i in range(0, len(order), batch_size):
                index = order[i:i + batch_size]
                yield mx.nd.take(x, index), mx.nd.take(y, index)

    return Batches()


def train(net: nn.HybridSequential, data, num_epochs: int = NUM_EPOCHS,
          batch_size: int = BATCH_SIZE, lr: float = LR, seed: int = 0,
          loader=None) -> list[EpochStats]:
    """Adam on softmax cross-entropy with a Gluon loop; one ``EpochStats`` per epoch.

    ``loader(x, y, batch_size, seed)`` makes the mini-batches: ``sliced_batches`` by default
    (the faster way for arrays in memory), or ``data_loader``; both give the same batches.
    """
    x_train, y_train, x_test, y_test = data
    set_seed(seed)
    loader = (loader or sliced_batches)(x_train, y_train, batch_size, seed)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    history = []
    for epoch in range(num_epochs):
        start = time.perf_counter()
        loss_sum = mx.nd.zeros(1, ctx=CTX)
        correct = mx.nd.zeros(1, ctx=CTX)
        for x, y in loader:
            with autograd.record():
                out = net(x)
                loss = loss_fn(out, y)
            loss.backward()
            trainer.step(x.shape[0])
            loss_sum += loss.sum()
            correct += (out.argmax(axis=1) == y).sum()
        loss_mean = loss_sum.asscalar() / len(x_train)  # asscalar() waits for the epoch
        train_acc = correct.asscalar() / len(x_train)
        seconds = time.perf_counter() - start
        history.append(EpochStats(epoch + 1, float(loss_mean), float(train_acc),
                                  evaluate(net, x_test, y_test), seconds))
    return history


def predict(net: nn.HybridSequential, x: mx.nd.NDArray, batch_size: int = 1000) -> np.ndarray:
    """Predicted class of each image."""
    parts = [net(x[i:i + batch_size]).argmax(axis=1) for i in range(0, len(x), batch_size)]
    return mx.nd.concat(*parts, dim=0).asnumpy().astype("int64")


def evaluate(net: nn.HybridSequential, x: mx.nd.NDArray, y: mx.nd.NDArray) -> float:
    """Accuracy on (x, y)."""
    return float((predict(net, x) == y.asnumpy()).mean())


def count_params(net: nn.HybridSequential) -> int:
    """Number of parameters (all shapes are known once the net has seen an input)."""
    return int(sum(p.data().size for p in net.collect_params().values()))
