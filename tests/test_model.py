"""The network, hybridization, and data-parallel training on several CPU devices."""
import mxnet as mx
import pytest
import numpy as np
from easydict import EasyDict

from config import default_config
from mxnet.gluon import nn

from lib.model.network import ChannelMajorBatchNorm, LiftingNetwork, build_network
from lib.eval.prediction import predict, predict_poses
from lib.train.loop import (DeviceData, Training, learning_rate, make_trainer, set_seed,
                            train_epoch)


def test_shapes_and_parameter_count():
    net = build_network(default_config().NETWORK)
    net.initialize(mx.init.MSRAPrelu())
    out = net(mx.nd.ones((5, 32)))
    assert out.shape == (5, 48)
    # 32*1024 + 4*1024*1024 + 1024*48 weights in the six Linear layers; a BatchNorm after each
    # Linear but the last.
    dense = [p for n, p in net.collect_params().items() if 'dense' in n and n.endswith('weight')]
    assert len(dense) == 6
    assert sum(int(np.prod(p.shape)) for p in dense) == 32 * 1024 + 4 * 1024 * 1024 + 1024 * 48
    bn = [p for n, p in net.collect_params().items() if n.endswith('gamma')]
    assert len(bn) == 5


def test_hybridized_network_matches_imperative():
    set_seed(0)
    net = LiftingNetwork(linear_size=64, dropout=0.0)
    net.initialize(mx.init.MSRAPrelu())
    x = mx.nd.random.normal(shape=(7, 32))
    imperative = net(x).asnumpy()
    with mx.autograd.train_mode():       # batch statistics in BatchNorm
        imperative_train = net(x).asnumpy()
    net.hybridize(static_alloc=True, static_shape=True)
    hybrid = net(x).asnumpy()
    with mx.autograd.train_mode():
        hybrid_train = net(x).asnumpy()
    np.testing.assert_allclose(hybrid, imperative, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hybrid_train, imperative_train, rtol=1e-5, atol=1e-5)
    assert not np.allclose(imperative, imperative_train)


def _train_cfg(**kw):
    cfg = EasyDict(default_config().TRAIN)
    cfg.update(lr=1e-3, decay_rate=0.96, decay_steps=100000, decay_staircase=True,
               shuffle=False, optimizer='adam')
    cfg.update(kw)
    return cfg


def _copy_params(src, dst):
    for (_, a), (_, b) in zip(sorted(src.collect_params().items()),
                              sorted(dst.collect_params().items())):
        b.set_data(a.data(a.list_ctx()[0]).copy())


@pytest.mark.parametrize('max_norm', [False, True])
def test_one_step_on_two_devices_equals_one_step_on_one(max_norm):
    set_seed(1)
    contexts = [mx.cpu(0), mx.cpu(1)]
    make = lambda: LiftingNetwork(linear_size=64, dropout=0.0, bn_global_stats=True,
                                  max_norm=max_norm)
    single, multi = make(), make()
    single.initialize(mx.init.MSRAPrelu(), ctx=[mx.cpu(0)])
    multi.initialize(mx.init.MSRAPrelu(), ctx=contexts)
    _copy_params(single, multi)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 32)).astype(np.float32)
    y = rng.normal(size=(16, 48)).astype(np.float32)
    cfg = _train_cfg()
    for net, ctx, per_device in ((single, [mx.cpu(0)], 16), (multi, contexts, 8)):
        train_epoch(Training(net, make_trainer(net, cfg), DeviceData(x, y, np.zeros(16), ctx),
                             cfg, per_device), np.random.default_rng(0), 0)
    for (name, a), (_, b) in zip(sorted(single.collect_params().items()),
                                 sorted(multi.collect_params().items())):
        start = a.data(mx.cpu(0)).asnumpy()
        for ctx in contexts:
            np.testing.assert_allclose(b.data(ctx).asnumpy(), start, rtol=1e-4, atol=1e-6,
                                       err_msg=name)
    # The step really changed the weights.
    moved = [name for name, p in single.collect_params().items()
             if 'dense' in name and not np.allclose(p.data().asnumpy(), 0)]
    assert moved


def test_short_training_on_two_devices_learns():
    set_seed(2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2048, 32)).astype(np.float32)
    w = rng.normal(size=(32, 48)).astype(np.float32) / 6
    y = np.tanh(x @ w)
    contexts = [mx.cpu(0), mx.cpu(1)]
    net = LiftingNetwork(linear_size=128, dropout=0.1)
    net.initialize(mx.init.MSRAPrelu(), ctx=contexts)
    net.hybridize()
    cfg = _train_cfg(shuffle=True)
    trainer = make_trainer(net, cfg)
    before = np.mean((predict(net, x, contexts[0], 500) - y) ** 2)
    step, losses = 0, []
    data = DeviceData(x, y, np.zeros(len(x)), contexts)
    for _ in range(6):
        loss, step = train_epoch(Training(net, trainer, data, cfg, 32), rng, step)
        losses.append(loss)
    assert step == 6 * (2048 // 64)
    assert losses[-1] < 0.3 * losses[0]
    pred = predict(net, x, contexts[0], 500)
    assert pred.shape == (2048, 48)
    assert np.mean((pred - y) ** 2) < 0.2 * before


def test_learning_rate_schedules():
    stair = _train_cfg(decay_steps=100, decay_rate=0.5)
    smooth = _train_cfg(decay_steps=100, decay_rate=0.5, decay_staircase=False)
    assert learning_rate(0, stair) == 1e-3
    assert learning_rate(150, stair) == 0.5e-3
    assert abs(learning_rate(150, smooth) - 1e-3 * 0.5 ** 1.5) < 1e-12


def test_predict_keeps_the_last_partial_batch():
    net = LiftingNetwork(linear_size=16)
    net.initialize()
    out = predict(net, np.zeros((1001, 32), np.float32), mx.cpu(), 250)
    assert out.shape == (1001, 48)


def test_chunked_evaluation_scores_every_frame_once(monkeypatch):
    from lib.eval import evaluation
    from lib.codec import compute_stats, network_inputs, network_targets
    set_seed(3)
    rng = np.random.default_rng(3)
    n = 1000
    pose3d = rng.normal(0, 300, size=(n, 17, 3)).astype(np.float32) + np.array([0, 0, 5000.0], np.float32)
    pose2d = (pose3d[..., :2] / pose3d[..., 2:] * 1100 + 500).astype(np.float32)
    data = {'pose3d': pose3d, 'pose2d': pose2d, 'centre': np.full((n, 2), 500.0, np.float32),
            'ids': np.zeros((n, 5), np.int32)}
    stats = compute_stats(network_inputs(pose2d), network_targets(pose3d))
    net = LiftingNetwork(linear_size=32)
    net.initialize(mx.init.MSRAPrelu())
    test_cfg = default_config().TEST
    test_cfg.batchsize = 100
    whole, pred_whole = evaluation.evaluate(net, data, stats, mx.cpu(), test_cfg)
    monkeypatch.setattr(evaluation, 'CHUNK', 64)              # 16 chunks, the last one short
    chunked, pred_chunked = evaluation.evaluate(net, data, stats, mx.cpu(), test_cfg)
    assert pred_chunked.shape == (n, 17, 3) and chunked['p1'].shape == (n,)
    np.testing.assert_allclose(pred_chunked, pred_whole, rtol=1e-5, atol=1e-4)
    for key in whole:
        np.testing.assert_allclose(chunked[key], whole[key], rtol=1e-5, atol=1e-4)
    direct = predict_poses(net, pose2d, stats, mx.cpu(), 100)
    np.testing.assert_allclose(pred_whole, direct, rtol=1e-5, atol=1e-4)


class PlainMaxNormDense(mx.gluon.nn.Dense):
    """The plain formulation of max-norm, for reference: the weight itself scaled to norm <= 1,
    (s W) x + b, with the norm as the square root of the sum of squares."""

    def hybrid_forward(self, F, x, weight, bias=None):
        norm = F.sqrt(F.sum(F.square(weight)))
        scaled = F.broadcast_mul(weight, F.clip(1.0 / (norm + 1e-12), 0.0, 1.0))
        return F.FullyConnected(x, scaled, bias, num_hidden=self._units)


@pytest.mark.parametrize('weight_std', [1.0, 0.001])      # norm above 1 (scaled) and below
@pytest.mark.parametrize('hybrid', [False, True])
def test_max_norm_fast_path_matches_the_plain_formulation(weight_std, hybrid):
    from lib.model.network import MaxNormDense
    rng = np.random.default_rng(1)
    w = rng.normal(0, weight_std, (40, 24)).astype(np.float32)
    b = rng.normal(0, 1, 40).astype(np.float32)
    x = mx.nd.array(rng.normal(0, 1, (9, 24)).astype(np.float32))
    head = mx.nd.array(rng.normal(0, 1, (9, 40)).astype(np.float32))   # d loss / d output
    results = []
    for cls in (MaxNormDense, PlainMaxNormDense):
        layer = cls(40, in_units=24)
        layer.initialize()
        layer.weight.set_data(mx.nd.array(w))
        layer.bias.set_data(mx.nd.array(b))
        if hybrid:
            layer.hybridize()
        xi = x.copy()
        xi.attach_grad()
        with mx.autograd.record():
            out = layer(xi)
        out.backward(head)
        results.append([out.asnumpy(), layer.weight.grad().asnumpy(),
                        layer.bias.grad().asnumpy(), xi.grad.asnumpy()])
    for fast, plain in zip(*results):
        np.testing.assert_allclose(fast, plain, rtol=1e-6, atol=1e-6)
    if weight_std == 1.0:          # scaled: the norm's own gradient is in the weight's
        unscaled = head.asnumpy().T @ x.asnumpy() / np.linalg.norm(w)
        assert np.abs(results[0][1] - unscaled).max() > 1e-3


def test_max_norm_training_equals_adam_on_the_plain_formulation(monkeypatch):
    """Five Adam steps of the paper recipe's network against the same steps of a network whose
    max-norm layers are PlainMaxNormDense ((s W) x + b, differentiated whole)."""
    import lib.model.network
    kwargs = dict(linear_size=48, dropout=0.0, max_norm=True)
    fast = LiftingNetwork(**kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(lib.model.network, 'MaxNormDense', PlainMaxNormDense)
        plain = LiftingNetwork(**kwargs)
    set_seed(4)
    fast.initialize(mx.init.Normal(0.2))
    plain.initialize()
    _copy_params(fast, plain)
    fast.hybridize(static_alloc=True, static_shape=True)
    plain.hybridize()
    trainers = [make_trainer(net, _train_cfg()) for net in (fast, plain)]
    # Adam divides by sqrt(v) + epsilon: with the default 1e-8 a gradient element near zero
    # turns float rounding into a whole step. A larger epsilon compares the gradients Adam sees.
    for trainer in trainers:
        trainer._optimizer.epsilon = 1e-3
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = mx.nd.array(rng.normal(size=(32, 32)).astype(np.float32))
        y = mx.nd.array(rng.normal(size=(32, 48)).astype(np.float32))
        for net, trainer in zip((fast, plain), trainers):
            with mx.autograd.record():
                loss = mx.nd.mean(mx.nd.square(net(x) - y), axis=1)
            loss.backward()
            trainer.step(32)
    norms = []
    for a, b in zip(fast.dense_layers(), plain.dense_layers()):
        wa, wb = a.weight.data().asnumpy(), b.weight.data().asnumpy()
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
        norms.append(np.linalg.norm(wa))
    assert min(norms) > 1                 # every layer clipped: the norm's gradient mattered
    x = mx.nd.array(rng.normal(size=(8, 32)).astype(np.float32))
    np.testing.assert_allclose(fast(x).asnumpy(), plain(x).asnumpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('max_norm', [False, True])
def test_folded_batchnorm_network_matches_the_trained_one(max_norm):
    from lib.model.network import fold_batchnorm
    set_seed(3)
    net = LiftingNetwork(linear_size=64, dropout=0.3, max_norm=max_norm, bn_epsilon=1e-3)
    net.initialize(mx.init.Normal(0.3 if max_norm else 0.05))
    rng = np.random.default_rng(3)
    for bn in net.batchnorm_layers():              # running statistics as after training
        bn.running_mean.set_data(mx.nd.array(rng.normal(0, 2, 64)))
        bn.running_var.set_data(mx.nd.array(rng.uniform(0.2, 3, 64)))
        bn.gamma.set_data(mx.nd.array(rng.uniform(0.5, 1.5, 64)))
        bn.beta.set_data(mx.nd.array(rng.normal(0, 0.5, 64)))
    folded = fold_batchnorm(net, mx.cpu())
    x = mx.nd.array(rng.normal(0, 1, (50, 32)).astype(np.float32))
    want = net(x).asnumpy()
    folded.hybridize(static_alloc=True, static_shape=True)
    got = folded(x).asnumpy()
    assert len(list(folded.collect_params().keys())) == 12    # six Linear layers, no BatchNorm left
    # In mm: the outputs are z-scores, a std of 1000 mm would make 1e-7 here 1e-4 mm.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.abs(want).max() > 0.1


def test_folded_predictions_in_mm():
    """Pixels to mm through predict_poses: the folded network gives the trained one's poses to
    1e-3 mm. That is float32's floor here: the trained network itself moves by 8e-4 mm between
    batch sizes 128 and 7 on these poses (its sums taken in another order), so 1e-4 mm cannot
    be asked of a float32 network at outputs of hundreds of mm."""
    from lib.model.network import fold_batchnorm
    from lib.codec import compute_stats, network_inputs, network_targets
    set_seed(4)
    rng = np.random.default_rng(4)
    pose2d = rng.normal(500, 80, (300, 17, 2)).astype(np.float32)
    pose3d = rng.normal(0, 300, (300, 17, 3)).astype(np.float32)
    pose3d[:, 0] = 0
    stats = compute_stats(network_inputs(pose2d), network_targets(pose3d))
    net = build_network(default_config().NETWORK)
    net.initialize(mx.init.MSRAPrelu())
    for bn in net.batchnorm_layers():
        bn.running_var.set_data(mx.nd.array(rng.uniform(0.5, 2, bn.running_var.shape)))
    folded = fold_batchnorm(net, mx.cpu())
    net.hybridize()
    folded.hybridize()
    want = predict_poses(net, pose2d, stats, mx.cpu(), 128)
    got = predict_poses(folded, pose2d, stats, mx.cpu(), 128)
    assert np.abs(want).max() > 100
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)


@pytest.mark.parametrize('batch', [1, 5, 64, 300])
@pytest.mark.parametrize('global_stats', [False, True])
def test_channel_major_batchnorm_equals_mxnet_batchnorm(batch, global_stats):
    """The fast BatchNorm gives nn.BatchNorm's outputs, gradients and running statistics, in
    training and in inference mode."""
    rng = np.random.default_rng(batch)
    x = rng.normal(3.0, 2.0, (batch, 48)).astype(np.float32)
    dy = rng.normal(0.0, 1.0, (batch, 48)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 1.5, 48), rng.normal(0, 1, 48)
    results = []
    for cls in (nn.BatchNorm, ChannelMajorBatchNorm):
        bn = cls(momentum=0.9, epsilon=1e-5, use_global_stats=global_stats, in_channels=48)
        bn.initialize()
        bn.gamma.set_data(mx.nd.array(gamma))
        bn.beta.set_data(mx.nd.array(beta))
        bn.running_mean.set_data(mx.nd.array(np.linspace(-1, 1, 48)))
        bn.running_var.set_data(mx.nd.array(np.linspace(0.5, 2, 48)))
        bn.hybridize()
        data = mx.nd.array(x)
        data.attach_grad()
        with mx.autograd.record():
            y = bn(data)
        y.backward(mx.nd.array(dy))
        results.append([y.asnumpy(), data.grad.asnumpy(), bn.gamma.grad().asnumpy(),
                        bn.beta.grad().asnumpy(), bn.running_mean.data().asnumpy(),
                        bn.running_var.data().asnumpy(), bn(mx.nd.array(x)).asnumpy()])
    for reference, fast in zip(*results):
        np.testing.assert_allclose(fast, reference, rtol=1e-5, atol=2e-5)
    assert not np.allclose(results[0][0], x)           # it did normalise


def test_channel_major_network_trains_as_the_mxnet_batchnorm_one():
    """Several Adam steps (dropout included, same random draws) from the same start give the
    same parameters. A Linear layer followed by BatchNorm has a bias whose gradient is zero in
    exact arithmetic (the batch mean is subtracted), so Adam moves it by rounding noise, up to
    the learning rate a step, in either implementation; those biases and the running means
    they enter are held to that bound, everything else to float32 rounding."""
    steps, lr = 5, 1e-3
    nets, trainers = [], []
    for cls in (nn.BatchNorm, ChannelMajorBatchNorm):
        net = LiftingNetwork(linear_size=64, batchnorm=cls)
        net.initialize(mx.init.MSRAPrelu())
        nets.append(net)
    _copy_params(nets[0], nets[1])
    start = nets[1].dense_layers()[1].weight.data().asnumpy()
    for net in nets:
        net.hybridize(static_alloc=True, static_shape=True)
        trainers.append(mx.gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr}))
    rng = np.random.default_rng(0)
    for step in range(steps):
        x = mx.nd.array(rng.normal(size=(32, 32)))
        y = mx.nd.array(rng.normal(size=(32, 48)))
        for net, trainer in zip(nets, trainers):
            mx.random.seed(step)                     # the same dropout masks
            with mx.autograd.record():
                loss = mx.nd.mean(mx.nd.square(net(x) - y))
            loss.backward()
            trainer.step(32)
    noisy = {b.bias.name for b in nets[0].dense_layers()[:-1]}
    noisy |= {b.running_mean.name for b in nets[0].batchnorm_layers()}
    pairs = zip(sorted(nets[0].collect_params().items()), sorted(nets[1].collect_params().items()))
    for (name, reference), (_, fast) in pairs:
        atol = 2 * lr * steps if name in noisy else 1e-5
        np.testing.assert_allclose(fast.data().asnumpy(), reference.data().asnumpy(), rtol=1e-4,
                                   atol=atol, err_msg=name)
    moved = nets[1].dense_layers()[1].weight.data().asnumpy() - start
    assert np.abs(moved).max() > 2 * lr                  # the steps did train


@pytest.mark.parametrize('hybrid', [False, True])
def test_set_bn_momentum_changes_the_running_average_of_the_next_batch(hybrid):
    """A new momentum takes effect at the next training step, also in a hybridized network
    whose graph was traced with the old one: running mean = m * before + (1 - m) * the
    batch's mean."""
    net = LiftingNetwork(linear_size=32, num_blocks=1, dropout=0.0, bn_momentum=0.9)
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize(static_alloc=True, static_shape=True)
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.normal(0, 1, (64, 32)))
    first_bn, stem_dense = net.batchnorm_layers()[0], net.dense_layers()[0]
    for momentum in (0.9, 0.25, 0.6):
        net.set_bn_momentum(momentum)
        before = first_bn.running_mean.data().asnumpy()
        with mx.autograd.record():
            y = net(x)
        y.backward()              # MXNet's BatchNorm updates its running statistics here
        batch_mean = stem_dense(x).asnumpy().mean(axis=0)
        np.testing.assert_allclose(first_bn.running_mean.data().asnumpy(),
                                   momentum * before + (1 - momentum) * batch_mean,
                                   rtol=1e-4, atol=1e-5)
