"""The network, hybridization, and data-parallel training on several CPU devices."""
import mxnet as mx
import numpy as np
from easydict import EasyDict

from config import default_config
from lib.model import LiftingNetwork, build_network
from lib.prediction import predict, predict_poses
from lib.training import DeviceData, learning_rate, make_trainer, set_seed, train_epoch


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
    cfg = EasyDict(lr=1e-3, decay_rate=0.96, decay_steps=100000, decay_staircase=True,
                   shuffle=False, optimizer='adam')
    cfg.update(kw)
    return cfg


def _copy_params(src, dst):
    for (_, a), (_, b) in zip(sorted(src.collect_params().items()),
                              sorted(dst.collect_params().items())):
        b.set_data(a.data(a.list_ctx()[0]).copy())


def test_one_step_on_two_devices_equals_one_step_on_one():
    set_seed(1)
    contexts = [mx.cpu(0), mx.cpu(1)]
    make = lambda: LiftingNetwork(linear_size=64, dropout=0.0, bn_global_stats=True)
    single, multi = make(), make()
    single.initialize(mx.init.MSRAPrelu(), ctx=[mx.cpu(0)])
    multi.initialize(mx.init.MSRAPrelu(), ctx=contexts)
    _copy_params(single, multi)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 32)).astype(np.float32)
    y = rng.normal(size=(16, 48)).astype(np.float32)
    cfg = _train_cfg()
    for net, ctx, per_device in ((single, [mx.cpu(0)], 16), (multi, contexts, 8)):
        train_epoch(net, make_trainer(net, cfg), DeviceData(x, y, np.zeros(16), ctx), per_device,
                    cfg, np.random.default_rng(0), 0)
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
        loss, step = train_epoch(net, trainer, data, 32, cfg, rng, step)
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
    from lib import evaluation
    from lib.normalization import compute_stats, network_inputs, network_targets
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
