"""Chapter 2's MXNet examples: the Symbol API, Gluon blocks, hybridize/export, Trainer, saving.

Each function is one small, fast experiment on the book's CNN or on a tiny custom block.
The model that chapter 4 trains is ``dlbook.mxnet_cnn``; the matching Keras examples are in
``dlbook.concepts_keras``.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon import nn

from dlbook import mxnet_cnn

# Read by MXNet at every bind: without it simple_bind() logs "Subgraph backend MKLDNN is activated".
os.environ.setdefault("MXNET_SUBGRAPH_VERBOSE", "0")

CTX = mx.cpu()
IMAGE_SHAPE = (1, 28, 28)  # channels first, as MXNet expects
INPUT_NAMES = ("data", "softmax_label")  # graph arguments that are fed, not learned
LR = 1e-3


def runtime_info() -> dict[str, object]:
    """MXNet version, the context the book uses and the number of GPUs MXNet can see."""
    return {"mxnet": mx.__version__, "context": str(CTX), "num_gpus": mx.context.num_gpus()}


# ---------------------------------------------------------------- Symbol API


def build_symbol() -> mx.sym.Symbol:
    """The book's CNN as a symbolic graph: a description only, no arrays are allocated."""
    data = mx.sym.var("data")
    x = mx.sym.Convolution(data, kernel=(3, 3), num_filter=32, name="conv")
    x = mx.sym.Activation(x, act_type="relu", name="conv_relu")
    x = mx.sym.Pooling(x, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool")
    x = mx.sym.Flatten(x, name="flatten")
    x = mx.sym.FullyConnected(x, num_hidden=128, name="fc1")
    x = mx.sym.Activation(x, act_type="relu", name="fc1_relu")
    x = mx.sym.FullyConnected(x, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(x, name="softmax")  # adds the argument softmax_label


def parameter_shapes(sym: mx.sym.Symbol, batch_size: int = 1) -> dict[str, tuple]:
    """Shape of every learned argument, inferred from the shape of the input alone."""
    arg_shapes, _, _ = sym.infer_shape(data=(batch_size, *IMAGE_SHAPE))
    return {name: shape for name, shape in zip(sym.list_arguments(), arg_shapes)
            if name not in INPUT_NAMES}


def output_shape(sym: mx.sym.Symbol, batch_size: int = 1) -> tuple:
    """Shape of the graph's output for a batch of batch_size images."""
    _, out_shapes, _ = sym.infer_shape(data=(batch_size, *IMAGE_SHAPE))
    return out_shapes[0]


def count_symbol_params(sym: mx.sym.Symbol) -> int:
    """Number of learned values in the graph."""
    return int(sum(np.prod(shape) for shape in parameter_shapes(sym).values()))


def graph_ops(sym: mx.sym.Symbol) -> list[str]:
    """Operators of the graph in its JSON form, in order (the variable nodes left out)."""
    return [node["op"] for node in json.loads(sym.tojson())["nodes"] if node["op"] != "null"]


def bind_symbol(sym: mx.sym.Symbol, batch_size: int, seed: int = 0) -> mx.executor.Executor:
    """Allocate the graph's arrays for one batch size and fill the weights with Xavier."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    mx.random.seed(seed)
    executor = sym.simple_bind(ctx=CTX, data=(batch_size, *IMAGE_SHAPE))
    init = mx.init.Xavier()  # names ending in _weight get Xavier, _bias get zeros
    for name, array in executor.arg_dict.items():
        if name not in INPUT_NAMES:
            init(mx.init.InitDesc(name), array)
    return executor


def run_symbol(executor: mx.executor.Executor, x: mx.nd.NDArray) -> np.ndarray:
    """Copy a batch into the executor's input, run the forward pass, return the output."""
    expected = executor.arg_dict["data"].shape
    if tuple(x.shape) != expected:
        raise ValueError(f"the executor was bound for input shape {expected}, got {tuple(x.shape)}")
    executor.arg_dict["data"][:] = x
    return executor.forward(is_train=False)[0].asnumpy()


# ---------------------------------------------------------------- Gluon API


class ScaleShift(nn.HybridBlock):
    """y = x * gamma + beta, one gamma and one beta per feature (the last axis)."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.calls = []  # which API ran hybrid_forward: mxnet.ndarray or mxnet.symbol
        with self.name_scope():
            self.gamma = self.params.get("gamma", shape=(units,), init=mx.init.One())
            self.beta = self.params.get("beta", shape=(units,), init=mx.init.Zero())

    def hybrid_forward(self, F, x, gamma, beta):
        self.calls.append(F.__name__)
        return F.broadcast_add(F.broadcast_mul(x, gamma), beta)


def scale_shift_demo(x: mx.nd.NDArray, gamma: np.ndarray, beta: np.ndarray) -> dict:
    """Run a ScaleShift with given weights twice, hybridize it, run it twice more."""
    block = ScaleShift(x.shape[-1])
    block.initialize(ctx=CTX)
    block.gamma.set_data(mx.nd.array(gamma, ctx=CTX))
    block.beta.set_data(mx.nd.array(beta, ctx=CTX))
    imperative = [block(x).asnumpy() for _ in range(2)]
    block.hybridize()
    hybrid = [block(x).asnumpy() for _ in range(2)]
    return {"params": list(block.collect_params().keys()), "calls": block.calls,
            "imperative": imperative[0], "hybrid": hybrid[-1]}


def build_tiny_net(seed: int = 0) -> nn.HybridSequential:
    """Dense(16, ReLU) -> ScaleShift(16) -> Dense(10), initialised from seed, not hybridized."""
    mxnet_cnn.set_seed(seed)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation="relu"), ScaleShift(16), nn.Dense(10))
    net.initialize(mx.init.Xavier(), ctx=CTX)
    return net


def compare_hybridize(net: nn.HybridSequential, x: mx.nd.NDArray) -> tuple[np.ndarray, np.ndarray]:
    """Outputs of the same net before and after hybridize()."""
    before = net(x).asnumpy()
    net.hybridize()
    after = net(x).asnumpy()
    return before, after


def export_and_import(net: nn.HybridSequential, x: mx.nd.NDArray) -> dict:
    """Export a hybridized net to JSON + params, import it as a SymbolBlock, run both."""
    with tempfile.TemporaryDirectory() as workdir:
        prefix = str(Path(workdir) / "tiny")
        net.export(prefix)  # writes tiny-symbol.json and tiny-0000.params
        files = sorted(p.name for p in Path(workdir).iterdir())
        with warnings.catch_warnings():  # imports() cannot tell the input's dtype: float32 is right
            warnings.filterwarnings("ignore", message="Cannot decide type")
            imported = gluon.SymbolBlock.imports(
                prefix + "-symbol.json", ["data"], prefix + "-0000.params", ctx=CTX)
    return {"files": files, "original": net(x).asnumpy(), "imported": imported(x).asnumpy()}


def train_briefly(net: nn.HybridSequential, x: mx.nd.NDArray, y: mx.nd.NDArray,
                  num_steps: int = 5, lr: float = LR) -> list[float]:
    """A few Adam steps on one batch with autograd and a Trainer; the loss before each step."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be a positive integer, got {num_steps}")
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    losses = []
    for _ in range(num_steps):
        with autograd.record():  # record the forward pass ...
            loss = loss_fn(net(x), y)
        loss.backward()  # ... to compute the gradients backwards
        trainer.step(x.shape[0])  # update the weights, gradients divided by the batch size
        losses.append(float(loss.mean().asscalar()))
    return losses


def save_and_load(net: nn.HybridSequential, x: mx.nd.NDArray, seed: int = 1) -> dict:
    """Save net's parameters, load them into a CNN built from another seed, compare outputs."""
    other = mxnet_cnn.build_model(seed=seed)
    before = other(x).asnumpy()
    with tempfile.TemporaryDirectory() as workdir:
        path = str(Path(workdir) / "cnn.params")
        net.save_parameters(path)  # the weights only: the code that builds the net is needed too
        other.load_parameters(path, ctx=CTX)
    return {"original": net(x).asnumpy(), "other_before": before, "other_after": other(x).asnumpy()}
