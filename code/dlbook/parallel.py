"""Data-parallel training on one machine: two devices, one model, the same weights as one device.

Synchronous data parallelism splits every batch across the devices. Each device holds a copy
of the weights and computes the gradient of its shard; the gradients are summed across the
devices (an *all-reduce*) and every copy takes the same optimizer step. Done right, this is
the computation of one device on the whole batch, up to the order of floating-point additions.

Both frameworks run a few steps of the book's CNN with Adam on the same batches, once on one
device and once on two CPU devices, from the same initial weights:

* Keras 3 / TensorFlow: ``tf.distribute.MirroredStrategy`` over two logical CPU devices.
  TensorFlow splits the CPU into logical devices only before it initialises its devices, so
  this part runs in a fresh process: ``python -m dlbook.parallel keras`` prints its results
  as JSON, and ``keras_data_parallel()`` starts that process and returns them.
* MXNet Gluon: ``gluon.utils.split_and_load`` over ``[mx.cpu(0), mx.cpu(1)]``; the Trainer
  sums the gradients of the two copies through its KVStore.

Each also runs a variant broken on purpose, without the all-reduce: its copies drift apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import keras  # before mxnet: MXNet 1.9.1 crashes on import after a bare `import tensorflow`
import mxnet as mx
import numpy as np
import tensorflow as tf
from mxnet import autograd, gluon

from dlbook import keras_cnn, mxnet_cnn
from dlbook.data import load_mnist

NUM_DEVICES = 2
NUM_STEPS = 5
BATCH_SIZE = keras_cnn.BATCH_SIZE
LR = keras_cnn.LR
SEED = 0


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Largest absolute difference between two lists of weight arrays of the same shapes."""
    if [x.shape for x in a] != [y.shape for y in b]:
        raise ValueError("the two lists of weights have different shapes")
    return float(max(np.abs(x - y).max() for x, y in zip(a, b)))


def first_batches(x, y, num_steps: int, batch_size: int, num_devices: int = NUM_DEVICES):
    """The first ``num_steps`` batches' worth of (x, y), in order; each batch splits evenly."""
    if batch_size % num_devices:
        raise ValueError(f"batch_size {batch_size} must split evenly over {num_devices} devices")
    count = num_steps * batch_size
    if count > len(x):
        raise ValueError(f"{num_steps} steps of {batch_size} need {count} samples, have {len(x)}")
    return x[:count], y[:count]


# --- Keras 3 / TensorFlow: MirroredStrategy over logical CPU devices -------------------------

def use_logical_cpus(num_devices: int = NUM_DEVICES) -> list[str]:
    """Split the CPU into logical devices (before TensorFlow initialises it)."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as err:
        raise RuntimeError(
            "TensorFlow has already initialised its devices in this process, "
            "so the CPU can no longer be split; run the Keras part in a fresh "
            "process: python -m dlbook.parallel keras"
        ) from err
    return [device.name for device in tf.config.list_logical_devices("CPU")]


class AdamWithoutAllReduce(keras.optimizers.Adam):
    """Broken on purpose: each replica steps with its own shard's gradient (no all-reduce).

    It overrides a Keras internal of the TensorFlow backend; it exists only to show that the
    all-reduce matters and to give the tests a variant that must fail.
    """

    def _all_reduce_sum_gradients(self, grads_and_vars):
        return grads_and_vars


def keras_train_steps(strategy: tf.distribute.Strategy, initial_weights, x, y,
                      batch_size: int = BATCH_SIZE, lr: float = LR,
                      optimizer_class=keras.optimizers.Adam) -> keras.Model:
    """Build and compile the CNN in ``strategy.scope()``; fit one ordered pass."""
    with strategy.scope():  # variables created here are mirrored on every device
        model = keras_cnn.build_model()
        model.set_weights(initial_weights)
        model.compile(optimizer=optimizer_class(learning_rate=lr),
                      loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return model


def replica_spread(model: keras.Model) -> float:
    """Largest difference between the copies that the devices hold of the same weight."""
    spread = 0.0
    for weight in model.weights:
        copies = [np.asarray(c) for c in getattr(weight.value, "values", [weight.value])]
        spread = max(spread, *(float(np.abs(c - copies[0]).max()) for c in copies))
    return spread


def keras_compare(num_steps: int = NUM_STEPS, batch_size: int = BATCH_SIZE, lr: float = LR,
                  seed: int = SEED) -> dict:
    """One device vs MirroredStrategy on two (and the broken variant); run in a fresh process."""
    devices = use_logical_cpus(NUM_DEVICES)
    x_train, y_train, _, _ = keras_cnn.prepare_data(load_mnist())
    x, y = first_batches(x_train, y_train, num_steps, batch_size)
    initial = keras_cnn.build_model(seed).get_weights()
    single = keras_train_steps(tf.distribute.get_strategy(), initial, x, y, batch_size, lr)
    mirrored = tf.distribute.MirroredStrategy(devices)
    parallel = keras_train_steps(mirrored, initial, x, y, batch_size, lr)
    broken = keras_train_steps(mirrored, initial, x, y, batch_size, lr, AdamWithoutAllReduce)
    return {
        "devices": devices, "replicas": mirrored.num_replicas_in_sync,
        "weight_change": max_abs_diff(initial, single.get_weights()),
        "parallel_vs_single": max_abs_diff(parallel.get_weights(), single.get_weights()),
        "parallel_spread": replica_spread(parallel),
        "broken_vs_single": max_abs_diff(broken.get_weights(), single.get_weights()),
        "broken_spread": replica_spread(broken),
    }


def keras_data_parallel(num_steps: int = NUM_STEPS, batch_size: int = BATCH_SIZE,
                        lr: float = LR, seed: int = SEED, timeout: float = 300) -> dict:
    """Run ``keras_compare`` in a fresh Python process and return its results."""
    command = [sys.executable, "-m", "dlbook.parallel", "keras",
               "--num-steps", str(num_steps), "--batch-size", str(batch_size),
               "--lr", repr(lr), "--seed", str(seed)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, capture_output=True, text=True, env=env,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed with exit code "
                           f"{done.returncode}:\n{done.stderr[-4000:]}")
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{' '.join(command[1:])} printed no results")
    return json.loads(lines[-1])  # the last line is the JSON


# --- MXNet Gluon: split_and_load over two contexts ---------------------------------------

def mxnet_train_steps(contexts: list[mx.Context], x, y,
                      batch_size: int = BATCH_SIZE, lr: float = LR, seed: int = SEED,
                      kvstore: str | None = "device"):
    """The CNN on every context, each batch split over them, Adam on the sum."""
    net = mxnet_cnn.build_model(seed)
    net.collect_params().reset_ctx(contexts)  # a copy of every weight on each
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr},
                            kvstore=kvstore)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for start in range(0, len(x), batch_size):
        x_parts = gluon.utils.split_and_load(x[start:start + batch_size], contexts)
        y_parts = gluon.utils.split_and_load(y[start:start + batch_size], contexts)
        with autograd.record():
            losses = [loss_fn(net(xp), yp) for xp, yp in zip(x_parts, y_parts)]
        for loss in losses:
            loss.backward()
        trainer.step(batch_size)  # sums the contexts' gradients, / batch_size
    return net


def mxnet_weights(net, context: mx.Context) -> list[np.ndarray]:
    """The net's weights as held on one context."""
    return [p.data(context).asnumpy() for p in net.collect_params().values()]


def mxnet_spread(net, contexts: list[mx.Context]) -> float:
    """Largest difference between the copies that the contexts hold of the same weight."""
    first = mxnet_weights(net, contexts[0])
    return max(max_abs_diff(first, mxnet_weights(net, c)) for c in contexts)


def mxnet_data_parallel(num_steps: int = NUM_STEPS, batch_size: int = BATCH_SIZE, lr: float = LR,
                        seed: int = SEED) -> dict:
    """One context vs two (and the broken variant without KVStore), same batches and start."""
    contexts = [mx.cpu(i) for i in range(NUM_DEVICES)]
    x_train, y_train, _, _ = mxnet_cnn.prepare_data(load_mnist())
    x, y = first_batches(x_train, y_train, num_steps, batch_size)
    initial = mxnet_weights(mxnet_cnn.build_model(seed), contexts[0])
    single = mxnet_weights(mxnet_train_steps(contexts[:1], x, y, batch_size, lr, seed), contexts[0])
    parallel = mxnet_train_steps(contexts, x, y, batch_size, lr, seed)
    broken = mxnet_train_steps(contexts, x, y, batch_size, lr, seed, kvstore=None)
    return {
        "devices": [str(c) for c in contexts], "replicas": len(contexts),
        "weight_change": max_abs_diff(initial, single),
        "parallel_vs_single": max_abs_diff(mxnet_weights(parallel, contexts[0]), single),
        "parallel_spread": mxnet_spread(parallel, contexts),
        "broken_vs_single": max_abs_diff(mxnet_weights(broken, contexts[0]), single),
        "broken_spread": mxnet_spread(broken, contexts),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m dlbook.parallel {keras,mxnet}`` prints the results as JSON."""
    parser = argparse.ArgumentParser(prog="python -m dlbook.parallel", description=main.__doc__)
    parser.add_argument("framework", choices=["keras", "mxnet"])
    parser.add_argument("--num-steps", type=int, default=NUM_STEPS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--lr", type=float, default=LR)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    run = keras_compare if args.framework == "keras" else mxnet_data_parallel
    print(json.dumps(run(args.num_steps, args.batch_size, args.lr, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
