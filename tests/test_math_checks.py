"""dlbook.math_checks: the chapter's formulas are right by hand and match Keras and MXNet."""

import numpy as np
import pytest

from dlbook import math_checks as mc

FLOAT32_TOL = 1e-5


# --- The NumPy formulas on cases small enough to do by hand ----------------------------

def test_relu_zeroes_negatives_and_keeps_positives():
    assert np.array_equal(mc.relu(np.array([-3.0, -0.5, 0.0, 2.0])), [0.0, 0.0, 0.0, 2.0])


def test_sigmoid_is_one_half_at_zero_and_symmetric():
    z = np.linspace(-5, 5, 11)
    assert mc.sigmoid(np.array(0.0)) == 0.5
    assert np.allclose(mc.sigmoid(-z), 1 - mc.sigmoid(z))


def test_softmax_of_equal_logits_is_uniform():
    assert np.allclose(mc.softmax(np.full((2, 4), 3.7)), 0.25)


def test_softmax_is_shift_invariant_and_stable_where_the_naive_form_overflows():
    z = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    assert np.allclose(mc.softmax(z + 1000), mc.softmax(z))
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(mc.softmax_naive(z + 1000)).all()
    demo = mc.softmax_overflow_demo()
    assert demo["naive_nan_rows"] == demo["rows"] and demo["stable_nan_rows"] == 0


def test_log_softmax_equals_log_of_softmax():
    z = np.random.default_rng(0).standard_normal((3, 5))
    assert np.allclose(mc.log_softmax(z), np.log(mc.softmax(z)))


def test_dense_by_hand():
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (out=3, in=2)
    b = np.array([0.0, 0.0, -5.0])
    assert np.array_equal(mc.dense(x, W, b), [[1.0, 2.0, -2.0]])
    assert np.array_equal(mc.dense(x, W, b, mc.relu), [[1.0, 2.0, 0.0]])


def test_dense_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="dense expects"):
        mc.dense(np.ones((1, 3)), np.ones((3, 2)), np.zeros(3))


def test_mse_by_hand():
    assert mc.mse(np.array([0.0, 0.0]), np.array([1.0, 3.0])) == 5.0


def test_cross_entropy_of_a_perfect_prediction_is_zero_and_of_a_uniform_one_log_k():
    labels = np.array([2, 0])
    almost_one_hot = mc.one_hot(labels, 4) * (1 - 1e-12) + 1e-13  # log(0) would be -inf
    assert mc.cross_entropy(mc.one_hot(labels, 4), almost_one_hot) == pytest.approx(0.0, abs=1e-9)
    assert mc.sparse_cross_entropy(labels, np.full((2, 4), 0.25)) == pytest.approx(np.log(4))


def test_the_three_cross_entropy_forms_agree():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, size=5)
    probs = mc.softmax(logits)
    expected = mc.cross_entropy(mc.one_hot(labels, 4), probs)
    assert mc.sparse_cross_entropy(labels, probs) == pytest.approx(expected)
    assert mc.softmax_cross_entropy(labels, logits) == pytest.approx(expected)


def test_fused_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    logits, labels = rng.standard_normal((3, 4)), rng.integers(0, 4, size=3)
    h, numeric = 1e-6, np.zeros_like(logits)
    for idx in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[idx] = h
        numeric[idx] = (mc.softmax_cross_entropy(labels, logits + step)
                        - mc.softmax_cross_entropy(labels, logits - step)) / (2 * h)
    assert np.allclose(mc.softmax_cross_entropy_grad(labels, logits), numeric, atol=1e-7)


def test_one_hot_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        mc.one_hot(np.array([0, 3]), 3)


def test_conv_output_size():
    assert mc.conv_output_size(28, 3) == 26
    assert mc.conv_output_size(26, 2, stride=2) == 13
    assert mc.conv_output_size(7, 2, stride=2) == 3
    assert mc.conv_output_size(28, 3, padding=1) == 28
    with pytest.raises(ValueError, match="does not fit"):
        mc.conv_output_size(2, 3)


def test_conv2d_is_cross_correlation():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    kernel = np.zeros((2, 2, 1, 1), "float32")
    kernel[0, 0] = 1.0  # picks the top-left pixel of each window (a flipped kernel would not)
    out = mc.conv2d(x, kernel, np.zeros(1, "float32"))
    assert np.array_equal(out[0, :, :, 0], x[0, :3, :3, 0])


def test_conv2d_sums_over_input_channels_and_adds_the_bias():
    x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))], axis=-1)[np.newaxis]  # (1, 3, 3, 2)
    kernel = np.ones((3, 3, 2, 1))
    out = mc.conv2d(x, kernel, np.array([0.5]))
    assert out.shape == (1, 1, 1, 1) and out[0, 0, 0, 0] == 9 * 1 + 9 * 2 + 0.5


def test_conv2d_stride_and_shape_errors():
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 1))
    kernel, bias = np.ones((3, 3, 1, 1)), np.zeros(1)
    strided = mc.conv2d(x, kernel, bias, stride=2)
    assert np.allclose(strided, mc.conv2d(x, kernel, bias)[:, ::2, ::2])
    with pytest.raises(ValueError, match="conv2d expects"):
        mc.conv2d(x, np.ones((3, 3, 2, 1)), bias)


def test_max_pool_of_a_known_4x4():
    x = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]])
    pooled = mc.max_pool2d(x.reshape(1, 4, 4, 1))
    assert np.array_equal(pooled[0, :, :, 0], [[4, 8], [12, 16]])
    assert mc.max_pool2d(np.zeros((1, 5, 5, 3))).shape == (1, 2, 2, 3)  # the last row is dropped
    with pytest.raises(ValueError, match="max_pool2d expects"):
        mc.max_pool2d(np.zeros((4, 4)))


# --- Optimizers -------------------------------------------------------------------------

def constant_grad(g):
    return lambda theta, t: g


def test_sgd_step_by_hand():
    trajectory = mc.sgd_steps(np.array([1.0, -1.0]), constant_grad(np.array([2.0, 4.0])), 2, lr=0.1)
    assert np.allclose(trajectory, [[1.0, -1.0], [0.8, -1.4], [0.6, -1.8]])


def test_adam_first_step_moves_each_parameter_by_lr_against_the_gradient_sign():
    g = np.array([3.0, -0.02, 50.0])
    for form in ("textbook", "efficient"):
        step = mc.adam_steps(np.zeros(3), constant_grad(g), 1, lr=0.01, form=form)[1]
        assert np.allclose(step, -0.01 * np.sign(g), rtol=1e-3)


def test_bias_correction_changes_early_steps_and_fades_later():
    g = np.array([0.7])
    corrected = mc.adam_steps(np.zeros(1), constant_grad(g), 5000, lr=0.01, form="efficient")
    uncorrected = mc.adam_steps(np.zeros(1), constant_grad(g), 5000, lr=0.01, form="uncorrected")
    first = (uncorrected[1] - uncorrected[0]) / (corrected[1] - corrected[0])
    assert first[0] == pytest.approx((1 - mc.BETA_1) / np.sqrt(1 - mc.BETA_2), rel=1e-4)  # ~3.16
    last = (uncorrected[-1] - uncorrected[-2]) / (corrected[-1] - corrected[-2])
    assert last[0] == pytest.approx(1.0, abs=0.01)


def test_textbook_and_efficient_forms_differ_by_where_epsilon_sits():
    lr, eps, g = 0.1, mc.EPSILON, 1e-6
    grad_fn = constant_grad(np.array([g]))
    textbook = mc.adam_steps(np.zeros(1), grad_fn, 1, lr, form="textbook")[1, 0]
    efficient = mc.adam_steps(np.zeros(1), grad_fn, 1, lr, form="efficient")[1, 0]
    assert textbook == pytest.approx(-lr * g / (g + eps))
    assert efficient == pytest.approx(-lr * g / (g + eps / np.sqrt(1 - mc.BETA_2)))


def test_adam_rejects_an_unknown_form():
    with pytest.raises(ValueError, match="form must be"):
        mc.adam_steps(np.zeros(1), constant_grad(np.ones(1)), 1, 0.1, form="amsgrad")


def test_minibatches_cycle_in_order_and_check_the_batch_size():
    x, y = mc.make_linear_problem()
    batches = mc.minibatches(x, y, 4, 3)
    assert np.array_equal(batches[0][0], x[:4]) and np.array_equal(batches[2][0], x[:4])
    assert np.array_equal(batches[1][1], y[4:])
    with pytest.raises(ValueError, match="must divide"):
        mc.minibatches(x, y, 3, 1)


# --- NumPy against Keras and MXNet ------------------------------------------------------

@pytest.fixture(scope="module")
def checks():
    return mc.all_checks()


def test_every_formula_matches_both_frameworks(checks):
    assert len(checks) == 13
    for c in checks:
        assert c.keras < FLOAT32_TOL and c.mxnet < FLOAT32_TOL, c
        assert c.scale > 0, c
    assert mc.worst_difference(checks) < FLOAT32_TOL
    worst = max(checks, key=lambda c: max(c.keras, c.mxnet))
    assert worst.quantity.startswith("Adam"), "the chapter explains the worst difference as Adam's"


def test_optimizer_trajectories_move_and_agree():
    sgd, adam = mc.sgd_example(), mc.adam_example()
    for traj in (sgd, adam):
        assert traj.numpy.shape == traj.keras.shape == traj.mxnet.shape == (6, 3)
        assert np.abs(traj.numpy[-1] - traj.numpy[0]).min() > 0.05  # every parameter moved
    assert mc.max_abs_diff(sgd.numpy, sgd.keras) < 1e-6
    assert mc.max_abs_diff(sgd.numpy, sgd.mxnet) < 1e-6
    assert mc.max_abs_diff(adam.numpy, adam.keras) < FLOAT32_TOL
    assert mc.max_abs_diff(adam.numpy, adam.mxnet) < FLOAT32_TOL
    assert np.allclose(adam.numpy[1], 0.1 * np.sign(adam.numpy[1]), rtol=1e-4)  # first step: lr


def test_optimizer_defaults_add_nothing_to_the_formulas():
    import keras
    import mxnet as mx

    adam = keras.optimizers.Adam()
    assert adam.weight_decay is None and adam.clipnorm is None and adam.clipvalue is None
    assert adam.global_clipnorm is None and not adam.amsgrad and not adam.use_ema
    for opt in (mx.optimizer.Adam(), mx.optimizer.SGD()):
        assert opt.wd == 0.0 and opt.rescale_grad == 1.0 and opt.clip_gradient is None
    assert mx.optimizer.SGD().momentum == 0.0 and keras.optimizers.SGD().momentum == 0.0


def test_frameworks_implement_the_efficient_adam_form():
    rows = {row[0]: row[1:] for row in mc.adam_first_steps()}
    textbook, efficient, uncorrected, keras_step, mxnet_step = rows[1e-6]
    assert keras_step == pytest.approx(efficient, rel=1e-4)
    assert mxnet_step == pytest.approx(efficient, rel=1e-4)
    assert abs(keras_step - textbook) > 0.5 and abs(mxnet_step - textbook) > 0.5
    assert rows[1.0][2] == pytest.approx(np.sqrt(10), rel=1e-3)  # uncorrected: 0.1 / sqrt(0.001)


def test_float32_beta_2_explains_the_adam_differences():
    predicted = mc.float32_adam_error()["step"]
    assert 6e-6 < predicted < 7e-6
    _, _, efficient, _, keras_step, mxnet_step = mc.adam_first_steps()[0]
    assert keras_step / efficient - 1 == pytest.approx(-predicted, abs=1e-6)  # float32 beta_2 ** t
    assert mxnet_step / efficient - 1 == pytest.approx(predicted, abs=1e-6)  # float32 1 - beta_2


def test_cross_entropy_paths():
    rows = {name: (loss, grad) for name, loss, grad in mc.cross_entropy_paths(margin=200.0)}
    assert rows["numpy: log(softmax(z))"][0] == np.inf
    for name in ("numpy: fused, from logits", "keras: softmax tensor", "keras: from_logits=True",
                 "mxnet: logits"):
        assert rows[name][0] == pytest.approx(200.0)
        assert rows[name][1] == pytest.approx(np.sqrt(2), rel=1e-5)
    assert rows["keras: bare probabilities"] == pytest.approx((-np.log(1e-7), 0.0), rel=1e-5)
    assert rows["mxnet: softmax applied twice"][0] == pytest.approx(np.log(np.e + 9), rel=1e-5)
    assert rows["mxnet: softmax applied twice"][1] == 0.0


def test_double_softmax_floor_matches_mxnet():
    formula, mxnet_loss = mc.double_softmax_check(10)
    assert formula == pytest.approx(np.log(1 + 9 / np.e))
    assert mxnet_loss == pytest.approx(formula, rel=1e-5)


def test_parameter_count_of_the_book_cnn():
    by_formula = mc.cnn_param_counts()
    shapes = [shape for _, shape, _ in by_formula]
    assert shapes == [(26, 26, 32), (13, 13, 32), (5408,), (128,), (10,)]
    total = sum(count for _, _, count in by_formula)
    assert total == (3 * 3 * 1 * 32 + 32) + (13 * 13 * 32 * 128 + 128) + (128 * 10 + 10) == 693_962
    for name, formula, keras_count, mxnet_count in mc.compare_param_counts():
        assert formula == keras_count == mxnet_count, name


def test_tables_have_a_header_and_one_line_per_row(checks):
    assert len(mc.format_checks(checks).splitlines()) == len(checks) + 1
    assert len(mc.format_trajectory(mc.sgd_example()).splitlines()) == 7
    assert len(mc.format_paths(mc.cross_entropy_paths()).splitlines()) == 8
    assert len(mc.format_first_steps(mc.adam_first_steps()).splitlines()) == 5


def test_a_keras_softmax_model_computes_its_loss_from_the_logits():
    # Through the clipped probabilities the loss could not exceed -log(1e-7) ~ 16.1.
    assert mc.keras_softmax_model_loss(margin=200.0) == pytest.approx(200.0)
