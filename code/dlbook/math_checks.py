"""The math of chapter 3 in plain NumPy, checked against Keras 3 and MXNet.

Every formula of the chapter is a small NumPy function here: a dense layer, ReLU, sigmoid,
softmax, the MSE and cross-entropy losses, steps of SGD and Adam, 2-D convolution and max
pooling, and the parameter count of the book's CNN. The ``compare_*`` functions run the
same seeded random inputs through the NumPy version and through Keras's and MXNet's own
ops, layers, losses and optimizers, and return the largest absolute differences.

Layouts follow the formulas: a dense weight ``W`` has shape (out, in), as MXNet stores it
(Keras stores its transpose); images are NHWC with kernels (kh, kw, in, out), as in Keras
(MXNet uses NCHW with weights (out, in, kh, kw)). Gradients on the Keras side come from
TensorFlow's ``GradientTape``: the book runs Keras 3 on the TensorFlow backend.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import keras
import mxnet as mx
import numpy as np
import tensorflow as tf
from mxnet import autograd, gluon
from mxnet.gluon import nn

SEED = 0
DTYPE = "float32"
# Adam's hyperparameters, passed explicitly to both frameworks: their default epsilons
# differ (Keras 1e-7, MXNet 1e-8).
BETA_1 = 0.9
BETA_2 = 0.999
EPSILON = 1e-7


def random_array(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Standard-normal float32 numbers times ``scale``."""
    return (scale * rng.standard_normal(shape)).astype(DTYPE)


def keras_to_numpy(x) -> np.ndarray:
    """A Keras tensor or variable as a NumPy array."""
    return np.asarray(keras.ops.convert_to_numpy(x))


def max_abs_diff(a, b) -> float:
    """Largest absolute elementwise difference of two arrays of the same shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b)))


class Check(NamedTuple):
    """A quantity, its largest magnitude, and its largest absolute difference per framework."""

    quantity: str
    scale: float
    keras: float
    mxnet: float


def check(quantity: str, expected, keras_value, mxnet_value) -> Check:
    """Compare the NumPy value with the Keras and the MXNet value (NumPy arrays or numbers)."""
    return Check(quantity, float(np.max(np.abs(expected))),
                 max_abs_diff(expected, keras_value), max_abs_diff(expected, mxnet_value))


# --- Layers and activations -----------------------------------------------------------

def relu(z: np.ndarray) -> np.ndarray:
    """ReLU: max(0, z), elementwise."""
    return np.maximum(z, 0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid: 1 / (1 + exp(-z)), elementwise."""
    return 1 / (1 + np.exp(-z))


def softmax_naive(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax straight from the definition: overflows for large logits."""
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax computed stably: subtract the largest logit before exponentiating."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(z)) without computing softmax: z - max - log(sum(exp(z - max)))."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def dense(x: np.ndarray, W: np.ndarray, b: np.ndarray,
          activation: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """A dense layer on a batch: rows of x (N, n), W (m, n), b (m,) -> f(x W^T + b), (N, m)."""
    if x.ndim != 2 or W.ndim != 2 or b.shape != (W.shape[0],) or x.shape[1] != W.shape[1]:
        raise ValueError(
            "dense expects x (N, n), W (m, n) and b (m,); "
            f"got x {x.shape}, W {W.shape}, b {b.shape}"
        )
    z = x @ W.T + b
    return z if activation is None else activation(z)


def compare_dense(seed: int = SEED) -> list[Check]:
    """A ReLU dense layer (5 -> 4 units, batch of 3) in NumPy, Keras and MXNet."""
    rng = np.random.default_rng(seed)
    x, W, b = random_array(rng, 3, 5), random_array(rng, 4, 5), random_array(rng, 4)
    expected = dense(x, W, b, relu)
    keras_layer = keras.layers.Dense(4, activation="relu")
    keras_layer.build((None, 5))
    keras_layer.set_weights([W.T, b])  # Keras stores the kernel as (in, out)
    mxnet_layer = nn.Dense(4, activation="relu", in_units=5)
    mxnet_layer.initialize()
    mxnet_layer.weight.set_data(mx.nd.array(W))  # MXNet stores (out, in), like W
    mxnet_layer.bias.set_data(mx.nd.array(b))
    return [check("dense layer relu(W x + b)", expected, keras_to_numpy(keras_layer(x)),
                  mxnet_layer(mx.nd.array(x)).asnumpy())]


def compare_activations(seed: int = SEED) -> list[Check]:
    """ReLU, sigmoid and softmax (on ordinary and on large logits) in the three libraries."""
    rng = np.random.default_rng(seed)
    z = random_array(rng, 4, 10, scale=3.0)
    large = random_array(rng, 4, 10, scale=100.0)  # exp(100) overflows float32
    rows = []
    for name, f, keras_f, mxnet_f, x in [
        ("relu", relu, keras.ops.relu, mx.nd.relu, z),
        ("sigmoid", sigmoid, keras.ops.sigmoid, mx.nd.sigmoid, z),
        ("softmax", softmax, keras.ops.softmax, mx.nd.softmax, z),
        ("softmax, logits ~ 100", softmax, keras.ops.softmax, mx.nd.softmax, large),
    ]:
        rows.append(check(name, f(x), keras_to_numpy(keras_f(x)),
                          mxnet_f(mx.nd.array(x)).asnumpy()))
    return rows


def softmax_overflow_demo(scale: float = 100.0, seed: int = SEED) -> dict[str, int]:
    """How many rows of softmax are NaN when computed naively vs stably, for logits * scale."""
    z = random_array(np.random.default_rng(seed), 4, 10, scale=scale)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = softmax_naive(z)
    return {"rows": len(z),
            "naive_nan_rows": int(np.isnan(naive).any(axis=1).sum()),
            "stable_nan_rows": int(np.isnan(softmax(z)).any(axis=1).sum())}


# --- Losses ---------------------------------------------------------------------------

def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error over all elements."""
    return float(np.mean((y_pred - y_true) ** 2))


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels (N,) as one-hot rows (N, num_classes)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"labels must be a 1-D array of integers in [0, {num_classes}), got {labels}"
        )
    return np.eye(num_classes, dtype=DTYPE)[labels]


def cross_entropy(y_onehot: np.ndarray, probs: np.ndarray) -> float:
    """Categorical cross-entropy of probability rows against one-hot rows, batch mean."""
    return float(-np.mean(np.sum(y_onehot * np.log(probs), axis=-1)))


def sparse_cross_entropy(labels: np.ndarray, probs: np.ndarray) -> float:
    """The same loss with integer labels: minus the mean log-probability of the true class."""
    return float(-np.mean(np.log(probs[np.arange(len(labels)), labels])))


def softmax_cross_entropy(labels: np.ndarray, logits: np.ndarray) -> float:
    """Softmax and cross-entropy fused, from logits: mean of logsumexp(z) - z_y."""
    return float(-np.mean(log_softmax(logits)[np.arange(len(labels)), labels]))


def softmax_cross_entropy_grad(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Gradient of the fused loss with respect to the logits: (softmax(z) - onehot(y)) / N."""
    return (softmax(logits) - one_hot(labels, logits.shape[-1])) / len(labels)


def keras_grad(loss_fn: Callable, x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar Keras expression ``loss_fn(x)`` with respect to x (TensorFlow tape)."""
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = loss_fn(x)
    return tape.gradient(loss, x).numpy()


def mxnet_grad(loss_fn: Callable, x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar MXNet expression ``loss_fn(x)`` with respect to x (autograd)."""
    x = mx.nd.array(x)
    x.attach_grad()
    with autograd.record():
        loss = loss_fn(x)
    loss.backward()
    return x.grad.asnumpy()


def compare_losses(seed: int = SEED) -> list[Check]:
    """MSE, cross-entropy (one-hot and sparse) and the fused loss's gradient, three ways."""
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_array(rng, 6, 3), random_array(rng, 6, 3)
    logits = random_array(rng, 6, 10, scale=3.0)
    labels = rng.integers(0, 10, size=6)
    y_onehot, probs = one_hot(labels, 10), softmax(logits)
    mx_labels = mx.nd.array(labels)
    ce_mx = gluon.loss.SoftmaxCrossEntropyLoss()  # takes logits; sparse labels by default
    ce_keras = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return [
        check("MSE", mse(y_true, y_pred), float(keras.losses.MeanSquaredError()(y_true, y_pred)),
              # Gluon's L2Loss is half the squared error, averaged per sample.
              2 * gluon.loss.L2Loss()(mx.nd.array(y_pred), mx.nd.array(y_true)).mean().asscalar()),
        check("cross-entropy, one-hot labels", cross_entropy(y_onehot, probs),
              float(keras.losses.CategoricalCrossentropy()(y_onehot, probs)),
              gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)(
                  mx.nd.array(logits), mx.nd.array(y_onehot)).mean().asscalar()),
        check("cross-entropy, sparse labels, logits", softmax_cross_entropy(labels, logits),
              float(ce_keras(labels, logits)),
              ce_mx(mx.nd.array(logits), mx_labels).mean().asscalar()),
        check("d loss / d logits = (p - y) / N", softmax_cross_entropy_grad(labels, logits),
              keras_grad(lambda z: ce_keras(labels, z), logits),
              mxnet_grad(lambda z: ce_mx(z, mx_labels).mean(), logits)),
    ]


def double_softmax_floor(num_classes: int) -> float:
    """Smallest loss left when softmax is applied twice: -log(e / (e + K - 1))."""
    return float(np.log(1 + (num_classes - 1) / np.e))


def keras_softmax_model_loss(margin: float = 200.0) -> float:
    """``model.evaluate`` loss of a softmax-output model whose true class trails by ``margin``."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.array([[margin, 0.0, 0.0]], DTYPE), np.zeros(3, DTYPE)])
    model.compile(loss="sparse_categorical_crossentropy")
    return float(model.evaluate(np.ones((1, 1), DTYPE), np.array([1]), verbose=0))


def double_softmax_check(num_classes: int = 10) -> tuple[float, float]:
    """(formula, MXNet): the loss of a perfect prediction that goes through softmax twice."""
    perfect = one_hot(np.array([0]), num_classes)  # probabilities 1, 0, ..., 0 for class 0
    loss = gluon.loss.SoftmaxCrossEntropyLoss()(mx.nd.array(perfect), mx.nd.array([0]))
    return double_softmax_floor(num_classes), float(loss.asscalar())


class LossPath(NamedTuple):
    """One way of computing a cross-entropy: its loss and the norm of its gradient."""

    path: str
    loss: float
    grad_norm: float


def cross_entropy_paths(margin: float = 200.0, num_classes: int = 10) -> list[LossPath]:
    """One sample whose true class trails another by ``margin`` logits, seven ways."""
    logits = np.zeros((1, num_classes), DTYPE)
    logits[0, 0] = margin
    labels = np.array([1])
    with np.errstate(divide="ignore"):
        naive = sparse_cross_entropy(labels, softmax(logits))
    keras_sparse = keras.losses.sparse_categorical_crossentropy
    mxnet_ce = gluon.loss.SoftmaxCrossEntropyLoss()
    mx_labels = mx.nd.array(labels)

    def keras_row(name, loss_fn, x):
        loss = float(keras_to_numpy(loss_fn(keras.ops.convert_to_tensor(x)))[0])
        return LossPath(name, loss, float(np.linalg.norm(keras_grad(lambda v: loss_fn(v)[0], x))))

    def mxnet_row(name, loss_fn, x):
        loss = float(loss_fn(mx.nd.array(x)).asscalar())
        return LossPath(name, loss, float(np.linalg.norm(mxnet_grad(lambda v: loss_fn(v)[0], x))))

    return [
        LossPath("numpy: log(softmax(z))", naive, float("nan")),
        LossPath("numpy: fused, from logits", softmax_cross_entropy(labels, logits),
                 float(np.linalg.norm(softmax_cross_entropy_grad(labels, logits)))),
        # tf.nn.softmax leaves no trace of the logits: Keras sees bare probabilities.
        keras_row("keras: bare probabilities",
                  lambda z: keras_sparse(labels, tf.nn.softmax(z)), logits),
        keras_row("keras: softmax tensor",
                  lambda z: keras_sparse(labels, keras.ops.softmax(z)), logits),
        keras_row("keras: from_logits=True",
                  lambda z: keras_sparse(labels, z, from_logits=True), logits),
        mxnet_row("mxnet: logits", lambda z: mxnet_ce(z, mx_labels), logits),
        mxnet_row("mxnet: softmax applied twice",
                  lambda z: mxnet_ce(mx.nd.softmax(z), mx_labels), logits),
    ]


# --- Optimizers: a worked example on a tiny linear model ------------------------------

def make_linear_problem(num_samples: int = 8,
                        seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """x (N, 3): two features and a column of ones (for b); y = 2 x1 - 3 x2 + 0.5 + noise."""
    rng = np.random.default_rng(seed)
    features = random_array(rng, num_samples, 2)
    x = np.hstack([features, np.ones((num_samples, 1), DTYPE)])
    y = (x @ np.array([2.0, -3.0, 0.5]) + 0.1 * rng.standard_normal(num_samples)).astype(DTYPE)
    return x, y


def minibatches(x: np.ndarray, y: np.ndarray, batch_size: int, num_steps: int) -> list:
    """``num_steps`` mini-batches taken in order, starting over after the last one."""
    if len(x) % batch_size:
        raise ValueError(f"batch_size {batch_size} must divide the {len(x)} samples")
    starts = [(t * batch_size) % len(x) for t in range(num_steps)]
    return [(x[s:s + batch_size], y[s:s + batch_size]) for s in starts]


def linear_mse_grad(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the batch MSE of y ~ x theta: (2 / B) x^T (x theta - y)."""
    return (2 / len(x)) * x.T @ (x @ theta - y)


def minibatch_grad_fn(batches: list) -> Callable[[np.ndarray, int], np.ndarray]:
    """grad_fn(theta, t): the gradient of the MSE on mini-batch t at theta."""
    return lambda theta, t: linear_mse_grad(theta, *batches[t])


def sgd_steps(theta0: np.ndarray, grad_fn: Callable, num_steps: int, lr: float) -> np.ndarray:
    """SGD, theta <- theta - lr * grad_fn(theta, t); returns the trajectory (steps + 1, P)."""
    theta, trajectory = theta0.copy(), [theta0.copy()]
    for t in range(num_steps):
        theta = theta - lr * grad_fn(theta, t)
        trajectory.append(theta)
    return np.array(trajectory)


def adam_steps(theta0: np.ndarray, grad_fn: Callable, num_steps: int, lr: float,
               beta_1: float = BETA_1, beta_2: float = BETA_2, epsilon: float = EPSILON,
               form: str = "textbook") -> np.ndarray:
    """Adam; ``form`` is "textbook" (Kingma & Ba), "efficient" (Keras, MXNet) or "uncorrected"."""
    if form not in ("textbook", "efficient", "uncorrected"):
        raise ValueError(f"form must be 'textbook', 'efficient' or 'uncorrected', got {form!r}")
    theta, trajectory = theta0.copy(), [theta0.copy()]
    m, v = np.zeros_like(theta0), np.zeros_like(theta0)
    for t in range(1, num_steps + 1):
        g = grad_fn(theta, t - 1)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        if form == "textbook":
            m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + epsilon)
        elif form == "efficient":
            lr_t = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
            theta = theta - lr_t * m / (np.sqrt(v) + epsilon)
        else:  # no bias correction
            theta = theta - lr * m / (np.sqrt(v) + epsilon)
        trajectory.append(theta)
    return np.array(trajectory)


def keras_trajectory(optimizer: keras.optimizers.Optimizer, theta0: np.ndarray,
                     batches: list) -> np.ndarray:
    """A Keras optimizer on the same problem: gradients from a tape, ``apply_gradients``."""
    theta, trajectory = keras.Variable(theta0), [theta0.copy()]
    for x, y in batches:
        with tf.GradientTape() as tape:
            loss = keras.losses.MeanSquaredError()(y, keras.ops.matmul(x, theta))
        optimizer.apply_gradients([(tape.gradient(loss, theta), theta)])
        trajectory.append(keras_to_numpy(theta))
    return np.array(trajectory)


def mxnet_trajectory(optimizer: str, optimizer_params: dict, theta0: np.ndarray,
                     batches: list) -> np.ndarray:
    """The same with Gluon: autograd on per-sample losses, ``trainer.step(batch_size)``."""
    theta = gluon.Parameter("theta", shape=theta0.shape, dtype=DTYPE)
    theta.initialize(mx.init.Zero())
    theta.set_data(mx.nd.array(theta0))
    trainer = gluon.Trainer([theta], optimizer, optimizer_params)
    trajectory = [theta0.copy()]
    for x, y in batches:
        with autograd.record():
            loss = (mx.nd.dot(mx.nd.array(x), theta.data()) - mx.nd.array(y)) ** 2
        loss.backward()  # gradient of the sum over the batch ...
        trainer.step(len(x))  # ... divided by the batch size here
        trajectory.append(theta.data().asnumpy())
    return np.array(trajectory)


class Trajectories(NamedTuple):
    """Parameter trajectories (steps + 1, P) of one optimizer in NumPy, Keras and MXNet."""

    numpy: np.ndarray
    keras: np.ndarray
    mxnet: np.ndarray

    def check(self, name: str) -> Check:
        """The largest difference from the NumPy trajectory, per framework."""
        return check(name, self.numpy, self.keras, self.mxnet)


def sgd_example(lr: float = 0.1, num_steps: int = 5, batch_size: int = 4) -> Trajectories:
    """Mini-batch SGD from theta = 0 by hand, in Keras and in MXNet."""
    x, y = make_linear_problem()
    batches, theta0 = minibatches(x, y, batch_size, num_steps), np.zeros(3, DTYPE)
    return Trajectories(sgd_steps(theta0, minibatch_grad_fn(batches), num_steps, lr),
                        keras_trajectory(keras.optimizers.SGD(learning_rate=lr), theta0, batches),
                        mxnet_trajectory("sgd", {"learning_rate": lr}, theta0, batches))


def adam_example(lr: float = 0.1, num_steps: int = 5, batch_size: int = 4,
                 form: str = "efficient") -> Trajectories:
    """Adam from theta = 0 by hand (``form`` as in ``adam_steps``), in Keras and in MXNet."""
    x, y = make_linear_problem()
    batches, theta0 = minibatches(x, y, batch_size, num_steps), np.zeros(3, DTYPE)
    hyper = {"beta_1": BETA_1, "beta_2": BETA_2, "epsilon": EPSILON}
    mxnet_hyper = {"learning_rate": lr, "beta1": BETA_1, "beta2": BETA_2, "epsilon": EPSILON}
    return Trajectories(adam_steps(theta0, minibatch_grad_fn(batches), num_steps, lr,
                                   form=form, **hyper),
                        keras_trajectory(keras.optimizers.Adam(learning_rate=lr, **hyper),
                                         theta0, batches),
                        mxnet_trajectory("adam", mxnet_hyper, theta0, batches))


def compare_optimizers() -> list[Check]:
    """Five mini-batch steps of SGD and of Adam: NumPy against both frameworks."""
    return [sgd_example().check("SGD, 5 steps"), adam_example().check("Adam, 5 steps")]


class FirstStep(NamedTuple):
    """|first Adam step| / lr for one gradient size, per implementation."""

    grad: float
    textbook: float
    efficient: float
    uncorrected: float
    keras: float
    mxnet: float


def adam_first_steps(grad_sizes=(1.0, 1e-3, 1e-6, 1e-8), lr: float = 0.1,
                     epsilon: float = EPSILON) -> list[FirstStep]:
    """Adam's first step from 0 with a gradient of each size, by hand and in both frameworks."""
    rows = []
    for g in grad_sizes:
        grad = np.array([g], DTYPE)  # one parameter at 0, gradient g
        step = {form: abs(adam_steps(np.zeros(1, DTYPE), lambda theta, t: grad, 1, lr,
                                     epsilon=epsilon, form=form)[1, 0])
                for form in ("textbook", "efficient", "uncorrected")}
        keras_theta = keras.Variable(np.zeros(1, DTYPE))
        keras.optimizers.Adam(learning_rate=lr, beta_1=BETA_1, beta_2=BETA_2,
                              epsilon=epsilon).apply_gradients([(grad, keras_theta)])
        mxnet_theta = mx.nd.zeros(1)
        updater = mx.optimizer.get_updater(mx.optimizer.Adam(
            learning_rate=lr, beta1=BETA_1, beta2=BETA_2, epsilon=epsilon))
        updater(0, mx.nd.array(grad), mxnet_theta)
        rows.append(FirstStep(g, *(step[f] / lr for f in ("textbook", "efficient", "uncorrected")),
                              abs(float(keras_to_numpy(keras_theta)[0])) / lr,
                              abs(float(mxnet_theta.asscalar())) / lr))
    return rows


def float32_adam_error(beta_2: float = BETA_2) -> dict[str, float]:
    """Relative error of 1 - beta_2 in float32, and the relative step error it causes (half)."""
    exact = 1 - beta_2
    in_float32 = float(np.float32(1) - np.float32(beta_2))
    relative = (in_float32 - exact) / exact
    return {"one_minus_beta_2": relative, "step": abs(relative) / 2}


# --- Convolution and pooling ----------------------------------------------------------

def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length along one axis: floor((size + 2 padding - kernel) / stride) + 1."""
    out = (size + 2 * padding - kernel_size) // stride + 1
    if out < 1:
        raise ValueError(
            f"a kernel of {kernel_size} does not fit an input of {size} (padding {padding})"
        )
    return out


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int = 1) -> np.ndarray:
    """'valid' 2-D cross-correlation: x (N, H, W, C), kernel (kh, kw, C, F), bias (F,)."""
    if (x.ndim != 4 or kernel.ndim != 4 or x.shape[3] != kernel.shape[2]
            or bias.shape != (kernel.shape[3],)):
        raise ValueError(
            "conv2d expects x (N, H, W, C), kernel (kh, kw, C, F) and bias (F,); "
            f"got x {x.shape}, kernel {kernel.shape}, bias {bias.shape}"
        )
    kh, kw = kernel.shape[:2]
    out_h = conv_output_size(x.shape[1], kh, stride)
    out_w = conv_output_size(x.shape[2], kw, stride)
    y = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3]), dtype=np.result_type(x, kernel))
    for u in range(kh):
        for v in range(kw):
            # Every output pixel (i, j) reads input pixel (i*stride + u, j*stride + v).
            patch = x[:, u:u + stride * (out_h - 1) + 1:stride,
                      v:v + stride * (out_w - 1) + 1:stride, :]
            y += patch @ kernel[u, v]  # (N, out_h, out_w, C) @ (C, F)
    return y + bias


def max_pool2d(x: np.ndarray, pool_size: int = 2) -> np.ndarray:
    """Max over non-overlapping pool_size x pool_size windows of x (N, H, W, C), floor mode."""
    if x.ndim != 4:
        raise ValueError(f"max_pool2d expects x of shape (N, H, W, C), got {x.shape}")
    n, h, w, c = x.shape
    out_h = conv_output_size(h, pool_size, stride=pool_size)
    out_w = conv_output_size(w, pool_size, stride=pool_size)
    windows = x[:, :out_h * pool_size, :out_w * pool_size, :].reshape(
        n, out_h, pool_size, out_w, pool_size, c)
    return windows.max(axis=(2, 4))


def compare_conv_pool(seed: int = SEED) -> list[Check]:
    """Conv 3x3 (3 -> 4 channels), ReLU, 2x2 max pooling on a 2 x 9 x 9 x 3 batch."""
    rng = np.random.default_rng(seed)
    x = random_array(rng, 2, 9, 9, 3)
    kernel, bias = random_array(rng, 3, 3, 3, 4), random_array(rng, 4)
    conv = conv2d(x, kernel, bias)
    pooled = max_pool2d(relu(conv))
    keras_conv = keras.layers.Conv2D(4, kernel_size=3)  # NHWC, kernel (kh, kw, in, out)
    keras_conv.build((None, 9, 9, 3))
    keras_conv.set_weights([kernel, bias])
    keras_conv_out = keras_to_numpy(keras_conv(x))
    keras_pooled = keras_to_numpy(
        keras.layers.MaxPooling2D(pool_size=2)(keras.ops.relu(keras_conv_out)))
    mxnet_conv = nn.Conv2D(4, kernel_size=3, in_channels=3)  # NCHW, weight (out, in, kh, kw)
    mxnet_conv.initialize()
    mxnet_conv.weight.set_data(mx.nd.array(kernel.transpose(3, 2, 0, 1)))
    mxnet_conv.bias.set_data(mx.nd.array(bias))
    mxnet_conv_out = mxnet_conv(mx.nd.array(x.transpose(0, 3, 1, 2)))
    mxnet_pooled = nn.MaxPool2D(pool_size=2)(mx.nd.relu(mxnet_conv_out))
    to_nhwc = lambda a: a.asnumpy().transpose(0, 2, 3, 1)  # noqa: E731
    return [check("conv2d 3x3, valid", conv, keras_conv_out, to_nhwc(mxnet_conv_out)),
            check("relu + max pool 2x2", pooled, keras_pooled, to_nhwc(mxnet_pooled))]


# --- The book's CNN: parameter count by formula ---------------------------------------

def cnn_param_counts(input_size: int = 28, in_channels: int = 1, filters: int = 32,
                     kernel_size: int = 3, pool_size: int = 2, hidden_units: int = 128,
                     num_classes: int = 10) -> list[tuple[str, tuple, int]]:
    """(layer, output shape (H, W, C) or (units,), parameters) of the book's CNN, by formula."""
    conv = conv_output_size(input_size, kernel_size)
    pooled = conv_output_size(conv, pool_size, stride=pool_size)
    flat = pooled * pooled * filters
    return [
        ("Conv2D", (conv, conv, filters),
         kernel_size * kernel_size * in_channels * filters + filters),
        ("MaxPooling2D", (pooled, pooled, filters), 0),
        ("Flatten", (flat,), 0),
        ("Dense", (hidden_units,), flat * hidden_units + hidden_units),
        ("Dense", (num_classes,), hidden_units * num_classes + num_classes),
    ]


def compare_param_counts() -> list[tuple[str, int, int, int]]:
    """Parameters per layer of the book's CNN: (layer, formula, Keras model, MXNet model)."""
    from dlbook import keras_cnn, mxnet_cnn

    keras_model, mxnet_model = keras_cnn.build_model(seed=0), mxnet_cnn.build_model(seed=0)
    rows = []
    for i, (name, _, count) in enumerate(cnn_param_counts()):
        mxnet_count = sum(p.data().size for p in mxnet_model[i].collect_params().values())
        rows.append((name, count, keras_model.layers[i].count_params(), int(mxnet_count)))
    rows.append(("total", sum(r[1] for r in rows), keras_cnn.count_params(keras_model),
                 mxnet_cnn.count_params(mxnet_model)))
    return rows


# --- All checks and printed tables -----------------------------------------------------

def all_checks(seed: int = SEED) -> list[Check]:
    """Every comparison of the chapter, in its order."""
    return (compare_dense(seed) + compare_activations(seed) + compare_losses(seed)
            + compare_optimizers() + compare_conv_pool(seed))


def worst_difference(checks: list[Check]) -> float:
    """The largest absolute difference in a list of checks, over both frameworks."""
    return max(max(c.keras, c.mxnet) for c in checks)


def worst_relative_difference(checks: list[Check]) -> float:
    """The largest difference divided by the largest magnitude of its quantity."""
    return max(max(c.keras, c.mxnet) / c.scale for c in checks if c.scale > 0)


def format_checks(checks: list[Check]) -> str:
    """A table: quantity, max |value|, max |numpy - keras|, max |numpy - mxnet|."""
    lines = [f"{'quantity':<38}{'max|value|':>11}{'|numpy-keras|':>15}{'|numpy-mxnet|':>15}"]
    lines += [f"{c.quantity:<38}{c.scale:>11.3g}{c.keras:>15.1e}{c.mxnet:>15.1e}" for c in checks]
    return "\n".join(lines)


def format_trajectory(traj: Trajectories, names=("w1", "w2", "b")) -> str:
    """A table: step, the NumPy parameters, and the largest difference of each framework."""
    lines = [f"{'step':>4}" + "".join(f"{n:>10}" for n in names)
             + f"{'|np-keras|':>12}{'|np-mxnet|':>12}"]
    for t, theta in enumerate(traj.numpy):
        lines.append(f"{t:>4}" + "".join(f"{p:>10.5f}" for p in theta)
                     + f"{max_abs_diff(theta, traj.keras[t]):>12.1e}"
                     + f"{max_abs_diff(theta, traj.mxnet[t]):>12.1e}")
    return "\n".join(lines)


def format_paths(rows: list[LossPath]) -> str:
    """A table of ``cross_entropy_paths``: path, loss, gradient norm."""
    lines = [f"{'path':<32}{'loss':>10}{'|d loss / d z|':>16}"]
    lines += [f"{name:<32}{loss:>10.4g}{'-' if np.isnan(grad) else f'{grad:.4g}':>16}"
              for name, loss, grad in rows]
    return "\n".join(lines)


def format_first_steps(rows: list[FirstStep]) -> str:
    """A table of ``adam_first_steps``: |first step| / lr per gradient size and implementation."""
    lines = ["".join(f"{h:>12}" for h in ("|grad|",) + FirstStep._fields[1:])]
    lines += [f"{row[0]:>12.0e}" + "".join(f"{v:>12.6f}" for v in row[1:]) for row in rows]
    return "\n".join(lines)


def format_param_counts(rows: list[tuple[str, int, int, int]]) -> str:
    """A table of ``compare_param_counts``: layer, output shape, formula, Keras, MXNet."""
    shapes = [str(shape) for _, shape, _ in cnn_param_counts()] + [""]
    lines = [f"{'layer':<14}{'output':>14}{'formula':>10}{'keras':>10}{'mxnet':>10}"]
    lines += [f"{name:<14}{shape:>14}{formula:>10,}{k:>10,}{m:>10,}"
              for (name, formula, k, m), shape in zip(rows, shapes)]
    return "\n".join(lines)
