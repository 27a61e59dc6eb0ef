"""Migrating the book's MXNet Gluon CNN to Keras 3: rebuild it, port its weights, prove equality.

The two frameworks store the same numbers in different orders:

* images: MXNet works on NCHW (channels first), Keras on NHWC (channels last);
* conv kernels: MXNet (out, in, kh, kw), Keras (kh, kw, in, out);
* dense weights: MXNet (out, in), Keras (in, out);
* the first Dense layer after Flatten: flattening an NCHW feature map orders the features
  (c, h, w), flattening an NHWC map orders them (h, w, c), so the rows of that layer's
  kernel must be permuted as well. Without it the model runs, and is wrong.

The weights travel as a plain ``{name: numpy array}`` dict, read from the file that
``net.save_parameters`` writes; names are ``"<layer index>.weight"`` and ``"<layer index>.bias"``.
"""

from __future__ import annotations

import os

import keras
import mxnet as mx
import numpy as np
from mxnet import gluon

from dlbook import keras_cnn


def build_keras_twin(seed: int = 0) -> keras.Model:
    """The Gluon CNN of ``dlbook.mxnet_cnn`` in Keras, layer for layer, returning logits."""
    return keras_cnn.build_model(seed, logits=True)


def read_mxnet_params(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of a Gluon ``save_parameters`` file, as NumPy, by name."""
    return {name: array.asnumpy() for name, array in mx.nd.load(os.fspath(path)).items()}


def nchw_to_nhwc(x: np.ndarray) -> np.ndarray:
    """Images (N, C, H, W) as (N, H, W, C)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected a NumPy array, got {type(x).__name__}; "
                        "call .asnumpy() on an MXNet NDArray first")
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got shape {x.shape}")
    return x.transpose(0, 2, 3, 1)


def convert_conv_kernel(weight: np.ndarray) -> np.ndarray:
    """A Gluon conv kernel (out, in, kh, kw) in Keras's layout (kh, kw, in, out)."""
    if weight.ndim != 4:
        raise ValueError(f"expected a conv kernel of shape (out, in, kh, kw), got shape {weight.shape}")
    return weight.transpose(2, 3, 1, 0)


def convert_dense_kernel(weight: np.ndarray) -> np.ndarray:
    """A Gluon dense weight (out, in) in Keras's layout (in, out)."""
    if weight.ndim != 2:
        raise ValueError(f"expected a dense weight of shape (out, in), got shape {weight.shape}")
    return weight.T


def dense_after_flatten_permutation(channels: int, height: int, width: int) -> np.ndarray:
    """Index ``p``: feature ``i`` of an NHWC flatten is feature ``p[i]`` of an NCHW flatten."""
    nchw_index = np.arange(channels * height * width).reshape(channels, height, width)
    return nchw_index.transpose(1, 2, 0).ravel()


def port_mxnet_cnn_to_keras(params: dict[str, np.ndarray], model: keras.Model | None = None,
                            permute_flatten: bool = True) -> keras.Model:
    """Copy Gluon weights into the Keras twin (a new one unless ``model`` is given)."""
    model = build_keras_twin() if model is None else model
    used, flattened = set(), None  # flattened: (C, H, W) of the map the last Flatten saw
    for index, layer in enumerate(model.layers):
        kind = type(layer).__name__
        if kind in ("Conv2D", "Dense"):
            names = (f"{index}.weight", f"{index}.bias")
            missing = [name for name in names if name not in params]
            if missing:
                raise KeyError(f"layer {index} ({kind}) needs {missing}; the file holds {sorted(params)}")
            weight, bias = (params[name] for name in names)
            if kind == "Conv2D":
                kernel = convert_conv_kernel(weight)
            else:
                kernel = convert_dense_kernel(weight)
                if flattened is not None and permute_flatten:
                    kernel = kernel[dense_after_flatten_permutation(*flattened)]
            expected = [tuple(w.shape) for w in layer.get_weights()]
            if [kernel.shape, bias.shape] != expected:
                raise ValueError(f"layer {index} ({kind}): ported shapes {[kernel.shape, bias.shape]}, "
                                 f"the Keras layer expects {expected}")
            layer.set_weights([kernel, bias])
            used.update(names)
        # Keras's Flatten sees an NHWC map (None, H, W, C); remember it as (C, H, W).
        flattened = None
        if kind == "Flatten":
            _, height, width, channels = layer.input.shape
            flattened = (channels, height, width)
    unused = sorted(set(params) - used)
    if unused:
        raise ValueError(f"the Keras model has no layer for {unused}: is it the same architecture?")
    return model


def weight_layouts(params: dict[str, np.ndarray], model: keras.Model) -> list[tuple]:
    """(name, Gluon shape, Keras shape) of each array ``port_mxnet_cnn_to_keras`` copies."""
    rows = []
    for index, layer in enumerate(model.layers):
        for name, weight in zip(("weight", "bias"), layer.get_weights()):
            key = f"{index}.{name}"
            rows.append((key, params[key].shape, tuple(weight.shape)))
    return rows


def mxnet_logits(net, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Outputs of a Gluon net on NCHW images, in batches."""
    parts = [net(mx.nd.array(x[i:i + batch_size])).asnumpy() for i in range(0, len(x), batch_size)]
    return np.concatenate(parts)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so that exp cannot overflow."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def compare_outputs(net, model: keras.Model, x: np.ndarray, probabilities: bool = False) -> dict:
    """Run the Gluon net on NCHW images and the Keras model on the same images as NHWC.

    ``probabilities=True`` compares softmax(Gluon logits) with a Keras model ending in softmax.
    """
    reference = mxnet_logits(net, x)
    if probabilities:
        reference = softmax(reference)
    ported = model.predict(nchw_to_nhwc(x), batch_size=500, verbose=0)
    return {
        "max_abs_diff": float(np.abs(reference - ported).max()),
        "max_abs_output": float(np.abs(reference).max()),
        "agreement": float((reference.argmax(axis=1) == ported.argmax(axis=1)).mean()),
        "mxnet_pred": reference.argmax(axis=1),
        "keras_pred": ported.argmax(axis=1),
    }


def compile_ported(model: keras.Model, lr: float = keras_cnn.LR) -> keras.Model:
    """Compile the logits twin the way the Gluon net was trained, ready for ``fit``."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr, epsilon=1e-8),  # Gluon's Adam epsilon
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def compare_losses(net, model: keras.Model, x: np.ndarray, y: np.ndarray) -> dict:
    """Mean loss on (x, y): Gluon's SoftmaxCrossEntropyLoss and the compiled Keras model's."""
    gluon_loss = gluon.loss.SoftmaxCrossEntropyLoss()(mx.nd.array(mxnet_logits(net, x)), mx.nd.array(y))
    keras_result = model.evaluate(nchw_to_nhwc(x), y, batch_size=500, verbose=0, return_dict=True)
    return {"mxnet_loss": float(gluon_loss.mean().asscalar()),
            "keras_loss": float(keras_result["loss"]),
            "keras_accuracy": float(keras_result["accuracy"])}
