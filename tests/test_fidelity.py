"""Recipe options, the seed's checkpoints, noise and flip augmentation, and --seed."""
import json
import os

import mxnet as mx
import numpy as np
import pytest

from config import default_config, load_configs
from lib.core import h36m
from lib.codec import INPUT_SWAP, flip_inputs, flip_targets
from lib.eval.evaluation import add_test_noise
from lib.train.augment import DeviceAugment
from lib.data.cameras import project
from lib.model.network import KaimingTruncatedNormal, LiftingNetwork, build_network
from lib.codec import compute_stats, normalize, unnormalize
from lib.model.seed_checkpoint import is_seed_checkpoint, load_seed_checkpoint
from lib.eval.prediction import predict
from lib.train.loop import set_seed
from tests.conftest import TINY_NET, run_cli, write_yaml


def write_seed_checkpoint(path, width=1024, seed=0):
    """A file in the seed's format (collect_params().save()) with random values; returns them."""
    rng = np.random.default_rng(seed)
    p = {}
    shapes = [(width, 32)] + [(width, width)] * 4 + [(48, width)]
    for i, shape in enumerate(shapes):
        p['simplebaseline0_dense%d_weight' % i] = rng.normal(0, 1 / np.sqrt(shape[1]), shape)
        p['simplebaseline0_dense%d_bias' % i] = rng.normal(0, 0.1, shape[0])
    for i in range(5):
        p['simplebaseline0_batchnorm%d_gamma' % i] = rng.uniform(0.5, 1.5, width)
        p['simplebaseline0_batchnorm%d_beta' % i] = rng.normal(0, 0.1, width)
        p['simplebaseline0_batchnorm%d_running_mean' % i] = rng.normal(0, 0.5, width)
        p['simplebaseline0_batchnorm%d_running_var' % i] = rng.uniform(0.5, 2.0, width)
    mx.nd.save(str(path), {k: mx.nd.array(v.astype(np.float32)) for k, v in p.items()})
    return p


def numpy_forward(p, x, eps=1e-5):
    """The seed's SimpleBaseline in inference mode, written out in numpy."""
    dense = lambda h, i: h @ p['simplebaseline0_dense%d_weight' % i].T + p['simplebaseline0_dense%d_bias' % i]

    def bn(h, i):
        g = lambda f: p['simplebaseline0_batchnorm%d_%s' % (i, f)]
        return (h - g('running_mean')) / np.sqrt(g('running_var') + eps) * g('gamma') + g('beta')

    relu = lambda h: np.maximum(h, 0)
    h = relu(bn(dense(x, 0), 0))
    for block in range(2):
        a, b = 1 + 2 * block, 2 + 2 * block
        h = h + relu(bn(dense(relu(bn(dense(h, a), a)), b), b))
    return dense(h, 5)


def test_seed_checkpoint_matches_a_numpy_forward(tmp_path):
    path = tmp_path / 'Model_epoch200.params'
    values = write_seed_checkpoint(path, width=64)
    assert is_seed_checkpoint(str(path))
    net = LiftingNetwork(linear_size=64)
    load_seed_checkpoint(net, str(path), [mx.cpu()])
    x = np.random.default_rng(1).normal(size=(37, 32)).astype(np.float32)
    np.testing.assert_allclose(predict(net, x, mx.cpu(), 16), numpy_forward(values, x),
                               rtol=1e-4, atol=1e-4)
    # Hybridized too.
    net.hybridize()
    np.testing.assert_allclose(predict(net, x, mx.cpu(), 16), numpy_forward(values, x),
                               rtol=1e-4, atol=1e-4)


def test_seed_checkpoint_of_another_width_is_refused(tmp_path):
    path = tmp_path / 'seed.params'
    write_seed_checkpoint(path, width=32)
    from lib.core.errors import PoseError
    with pytest.raises(PoseError, match='shape'):
        load_seed_checkpoint(LiftingNetwork(linear_size=64), str(path), [mx.cpu()])


def test_test_py_evaluates_a_seed_checkpoint(tmp_path, small_dataset):
    path = tmp_path / 'seedrun' / 'Model_epoch200.params'
    path.parent.mkdir()
    write_seed_checkpoint(path)
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', small_dataset, '--model', path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'seed checkpoint' in proc.stdout and 'recomputing the statistics' in proc.stdout
    results = json.load(open(str(path)[:-7] + '_results.json'))
    assert results['frames']['All frames'] == 2 * 15 * 2 * 4 * 8


def test_kaiming_truncated_normal():
    set_seed(0)
    arr = mx.nd.zeros((512, 256))
    KaimingTruncatedNormal()._init_weight('w', arr)
    w = arr.asnumpy()
    std = np.sqrt(2.0 / 256)
    assert np.abs(w).max() <= 2 * std + 1e-6
    # A normal truncated at 2 std has std 0.88 of the untruncated one.
    assert abs(w.std() / std - 0.880) < 0.01
    bias = mx.nd.zeros((100,))
    KaimingTruncatedNormal()._init_bias('b', bias)
    assert np.abs(bias.asnumpy()).max() <= 2 * np.sqrt(2.0 / 100) + 1e-6
    assert np.abs(bias.asnumpy()).max() > 0


def test_max_norm_scales_weights_in_the_forward_pass():
    set_seed(0)
    net = LiftingNetwork(linear_size=32, dropout=0.0, max_norm=True)
    net.initialize(mx.init.Normal(1.0))
    plain = LiftingNetwork(linear_size=32, dropout=0.0)
    plain.initialize()
    for a, b in zip(net.dense_layers(), plain.dense_layers()):
        w = a.weight.data().asnumpy()
        assert np.linalg.norm(w) > 1                    # stored weight stays as it is
        b.weight.set_data(w / np.linalg.norm(w))
        b.bias.set_data(a.bias.data())
    x = mx.nd.random.normal(shape=(5, 32))
    np.testing.assert_allclose(net(x).asnumpy(), plain(x).asnumpy(), rtol=1e-4, atol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), plain(x).asnumpy(), rtol=1e-4, atol=1e-5)


def test_paper_preset_loads_and_builds():
    cfg = load_configs(['configs/paper.yaml'])
    assert cfg.NETWORK.max_norm and cfg.NETWORK.init == 'kaiming_truncnormal'
    assert cfg.NETWORK.bn_momentum == 0.99 and cfg.NETWORK.bn_epsilon == 1e-3
    assert not cfg.TRAIN.decay_staircase
    net = build_network(cfg.NETWORK)
    assert net.batchnorm_layers()[0]._kwargs['momentum'] == 0.99
    assert default_config().NETWORK.init == 'msraprelu'


def test_mirroring_the_image_is_mirroring_the_pose():
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 300, size=(6, 17, 3)) + np.array([0, 0, 4500.0])
    f, c = np.array([1145.0, 1143.0]), np.array([512.5, 515.4])
    inputs = project(pose, f, c)[:, h36m.INPUT_JOINTS].reshape(6, 32)
    mirrored_pose = pose * np.array([-1, 1, 1])
    # swap left and right joints of the mirrored 3D pose, then project
    perm = np.arange(17)
    for a, b in h36m.FLIP_PAIRS:
        perm[a], perm[b] = b, a
    expect = project(mirrored_pose[:, perm], f, c)[:, h36m.INPUT_JOINTS].reshape(6, 32)
    np.testing.assert_allclose(flip_inputs(inputs, np.full(6, c[0])), expect, atol=1e-6)
    targets = (pose - pose[:, :1])[:, 1:].reshape(6, 48)
    np.testing.assert_allclose(flip_targets(flip_targets(targets)), targets)
    expect_t = (mirrored_pose[:, perm] - mirrored_pose[:, :1])[:, 1:].reshape(6, 48)
    np.testing.assert_allclose(flip_targets(targets), expect_t, atol=1e-9)
    assert sorted(INPUT_SWAP) == list(range(16))


def test_device_augment_flips_half_and_draws_fresh_noise():
    rng = np.random.default_rng(0)
    x = rng.normal(500, 100, size=(64, 32))
    y = rng.normal(0, 300, size=(64, 48))
    stats = compute_stats(x, y)
    xn = normalize(x, stats['mean2d'], stats['std2d'])
    yn = normalize(y, stats['mean3d'], stats['std3d'])
    cx = rng.uniform(500, 520, size=64).astype(np.float32)
    set_seed(1)
    flip = DeviceAugment(stats, flip=True)
    fx, fy = (a.asnumpy() for a in flip(mx.nd.array(xn), mx.nd.array(yn), mx.nd.array(cx)))
    changed = ~np.all(np.isclose(fx, xn, atol=1e-5), axis=1)
    assert changed.sum() == 32
    assert np.allclose(fy[~changed], yn[~changed])
    # The mirrored rows are the host mirror (lib.codec.flip_inputs / flip_targets).
    raw_x = unnormalize(fx[changed], stats['mean2d'], stats['std2d'])
    raw_y = unnormalize(fy[changed], stats['mean3d'], stats['std3d'])
    np.testing.assert_allclose(raw_x, flip_inputs(x[changed], cx[changed]), atol=2e-3)
    np.testing.assert_allclose(raw_y, flip_targets(y[changed]), atol=2e-3)
    noisy = DeviceAugment(stats, sigma=5.0)
    a, _ = noisy(mx.nd.array(xn), mx.nd.array(yn), mx.nd.array(cx))
    b, _ = noisy(mx.nd.array(xn), mx.nd.array(yn), mx.nd.array(cx))
    a, b = a.asnumpy(), b.asnumpy()
    assert not np.allclose(a, b)
    pixels = (a - xn) * stats['std2d']
    assert abs(pixels.std() - 5.0) < 0.3
    assert not DeviceAugment(stats).active() and noisy.active() and flip.active()


def test_test_noise_is_drawn_once_from_a_fixed_seed():
    pose = np.zeros((100, 17, 2), np.float32)
    a, b = add_test_noise(pose, 5.0, 0), add_test_noise(pose, 5.0, 0)
    np.testing.assert_array_equal(a, b)
    assert abs(a.std() - 5.0) < 0.2
    assert add_test_noise(pose, 0.0, 0) is pose


def test_noise_and_flip_at_test_time(trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    common = ('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
              '--model', model)
    results = {}
    for extra, tag in (((), ''), (('--sigma', 20), '_sigma20'), (('--flip',), '_flip')):
        proc = run_cli(*common, *extra)
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[tag] = json.load(open(model[:-7] + tag + '_results.json'))
    assert results['_sigma20']['protocol1']['All frames'] > results['']['protocol1']['All frames'] + 1
    assert results['_sigma20']['test_options']['sigma'] == 20
    assert results['_flip']['test_options']['flip'] is True
    assert results['_flip']['protocol1']['All frames'] != results['']['protocol1']['All frames']


@pytest.mark.slow
def test_same_seed_same_numbers_and_flip_training(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'tiny.yaml', TINY_NET % 2)
    flip = write_yaml(tmp_path / 'flip.yaml', 'TRAIN:\n  flip: true\nDATASET:\n  sigma: 2.0\n')
    curves = []
    for k, extra in enumerate(((), (), ('--cfg', flip))):
        root = tmp_path / ('r%d' % k)
        proc = run_cli('train.py', '--root', root, '--dataset', small_dataset, '--cfg', cfg,
                       '--seed', 7, *extra)
        assert proc.returncode == 0, proc.stderr[-2000:]
        run = root / 'output' / 'model' / os.listdir(root / 'output' / 'model')[0]
        rows = [l.split(',')[:-1] for l in open(run / 'curves.csv').read().splitlines()]
        curves.append(rows)
    assert curves[0] == curves[1]                  # every column but the wall-clock seconds
    assert curves[0] != curves[2]


def test_paper_recipe_trains(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'tiny.yaml', TINY_NET % 3)
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset,
                   '--cfg', 'configs/paper.yaml', '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = tmp_path / 'output' / 'model' / os.listdir(tmp_path / 'output' / 'model')[0]
    saved = open(run / 'hyperParams.yaml').read()
    assert 'max_norm: true' in saved and 'kaiming_truncnormal' in saved
    losses = [float(l.split(',')[3]) for l in open(run / 'curves.csv').read().splitlines()[1:]]
    assert len(losses) == 3 and losses[-1] < losses[0]
