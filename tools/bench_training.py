"""The training part of tools/bench.py: timing helpers, the resident training step against
the arithmetic bound at a batch size, where the step goes (MXNet's profiler), and one
BatchNorm layer alone."""
import os
import re
import tempfile
import time

import mxnet as mx
import numpy as np
from mxnet import autograd

from lib.codec import compute_stats, network_inputs, network_targets, normalize
from lib.data.arrays import SUBJECT
from lib.model.network import ChannelMajorBatchNorm, training_network
from lib.train.augment import DeviceAugment
from lib.train.loop import (DeviceData, Training, make_trainer, set_seed, train_epoch,
                            train_step)
from tools.bench_data import line

# The real Human3.6M: 1,559,752 training frames (subjects 1 5 6 7 8, 4 cameras), 24,371 full
# batches of 64 an epoch.
REAL_TRAIN_FRAMES = 1559752
LARGE_BATCH = 1024

def best_time(fn, rounds):
    """The shortest of `rounds` calls of fn() (each waited for), seconds."""
    times = []
    for _ in range(rounds):
        mx.nd.waitall()
        t = time.time()
        fn()
        mx.nd.waitall()
        times.append(time.time() - t)
    return min(times)


def alternating_times(fns, rounds, steps):
    """{name: [seconds a step of fns[name]() (which runs `steps` steps), one per round]} over
    `rounds` rounds, each round timing every function in turn, so that all of them see the same
    machine."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(best_time(fn, 1) / steps)
    return times


def best_alternating(fns, rounds, steps):
    """{name: the best seconds a step of fns[name]()} over alternating_times' rounds."""
    return {name: min(t) for name, t in alternating_times(fns, rounds, steps).items()}


def matmul_rate():
    """numpy's float32 1024^3 matrix multiply, FLOP/s (best of 3 rounds of 10)."""
    a = np.random.rand(1024, 1024).astype(np.float32)
    a @ a
    return 10 * 2 * 1024 ** 3 / best_time(lambda: [a @ a for _ in range(10)], 3)


def training_arrays(data, cfg):
    train = np.isin(data['ids'][:, SUBJECT], cfg.DATASET.train_subjects)
    x = network_inputs(data['pose2d'][train])
    y = network_targets(data['pose3d'][train])
    stats = compute_stats(x, y)
    return (normalize(x, stats['mean2d'], stats['std2d']),
            normalize(y, stats['mean3d'], stats['std3d']), stats)


def new_trainer(cfg, contexts, hybridize=True):
    set_seed(0)
    net = training_network(cfg.NETWORK, contexts, hybrid=hybridize)
    return net, make_trainer(net, cfg.TRAIN)


def resident_batch(x, y, cfg, contexts):
    """The first batch of z-scored x, y (batch per device x devices) split over the devices."""
    batch = cfg.TRAIN.batchsize * len(contexts)
    return (mx.gluon.utils.split_and_load(x[:batch], contexts),
            mx.gluon.utils.split_and_load(y[:batch], contexts))


def resident_steps(net, trainer, xs, ys, steps):
    """A function running `steps` training steps (forward, backward, Adam update) on batches
    xs, ys already on the devices."""
    batch = sum(len(x) for x in xs)

    def run_steps():
        for _ in range(steps):
            train_step(net, trainer, xs, ys, batch)
    return run_steps


def operator_rows(table):
    """(name, calls, total ms) of each row of the 'operator' section of mx.profiler.dumps()."""
    section = None
    for row in table.splitlines():
        text = row.strip()
        if text and not row[0].isspace() and re.match(r'^[A-Za-z_ ]+$', text):
            section = text
        match = re.match(r'^(\S.*?)\s{2,}(\d+)\s+([\d.]+)\s', row)
        if section == 'operator' and match and match.group(1) != 'Name':
            yield match.group(1), int(match.group(2)), float(match.group(3))


def profile_operators(cfg, contexts, x, y, steps):
    """Per-operator time of a training step of the unhybridized network (each operator shows
    by name), MXNet's profiler, as the investigation behind max-norm's fast path used."""
    net, trainer = new_trainer(cfg, contexts, hybridize=False)
    run_steps = resident_steps(net, trainer, *resident_batch(x, y, cfg, contexts), steps)
    run_steps()
    parts = step_breakdown(run_steps, steps)
    print('  operators of an unhybridized step (ms a step, calls a step):')
    for name, count, ms in sorted(operator_rows(parts['table']), key=lambda r: -r[2])[:12]:
        print('    %-28s %8.2f ms %6.1f calls' % (name, ms / steps, count / steps))


def step_breakdown(run_steps, steps):
    """Seconds a step spends in forward operators, backward operators (names _backward_...),
    the Adam update (adam_update) and the rest (engine, Python: the wall time less the
    operators), from MXNet's profiler over one call of run_steps()."""
    with tempfile.TemporaryDirectory() as tmp:
        mx.profiler.set_config(profile_symbolic=True, profile_imperative=True,
                               profile_memory=False, profile_api=False, aggregate_stats=True,
                               filename=os.path.join(tmp, 'profile.json'))
        mx.nd.waitall()
        mx.profiler.set_state('run')
        t = time.time()
        run_steps()
        mx.nd.waitall()
        wall = time.time() - t
        mx.profiler.set_state('stop')
        table = mx.profiler.dumps(reset=True)
    parts = {'forward': 0.0, 'backward': 0.0, 'update': 0.0}
    for name, count, ms in operator_rows(table):
        kind = ('update' if name.startswith('adam_update') else
                'backward' if name.startswith('_backward') else 'forward')
        parts[kind] += ms / 1000 / steps
    parts['table'] = table
    parts['wall'] = wall / steps
    parts['rest'] = parts['wall'] - parts['forward'] - parts['backward'] - parts['update']
    return parts


def flops_per_sample(net):
    """Forward FLOPs of one pose: 2 x the weights of the Linear layers (multiply and add)."""
    return 2 * sum(int(np.prod(d.weight.shape)) for d in net.dense_layers())


def report_step(net, batch, loop, parts, numpy_flops):
    """The lines on one training step of `batch` samples taking `loop` seconds: against the
    arithmetic bound, where it goes (`parts` of step_breakdown), an epoch of Human3.6M."""
    step_flops = 3 * flops_per_sample(net) * batch                    # forward + 2x backward
    arithmetic = step_flops / numpy_flops
    line('  against the arithmetic bound', batch / loop, 'samples/s', batch / arithmetic,
         '%.1f MFLOP a step at numpy\'s %.1f GFLOP/s, %.2f ms/step'
         % (step_flops / 1e6, numpy_flops / 1e9, 1000 * arithmetic))
    print('  where a resident step goes (MXNet profiler, one round, with its overhead): forward '
          '%.2f ms, backward %.2f ms, Adam update %.2f ms, engine and the rest %.2f ms; %.2f ms '
          'in all' % tuple(1000 * parts[k] for k in ('forward', 'backward', 'update', 'rest',
                                                       'wall')), flush=True)
    real_steps = REAL_TRAIN_FRAMES // batch
    print('  one epoch of the real Human3.6M (%d frames, %d steps of %d): %.1f min at %.2f ms a '
          'step' % (REAL_TRAIN_FRAMES, real_steps, batch, real_steps * loop / 60, 1000 * loop),
          flush=True)


def bench_training(x, y, stats, contexts, steps, rounds, cfg, numpy_flops):
    """x, y, stats: training_arrays. Returns the trained network, or None when the training
    set is smaller than one batch."""
    batch = cfg.TRAIN.batchsize * len(contexts)
    name = 'training, batch %d x %d device(s)' % (cfg.TRAIN.batchsize, len(contexts))
    if len(x) < batch:
        print('%s: skipped, the training set holds %d poses' % (name, len(x)), flush=True)
        return None
    net, trainer = new_trainer(cfg, contexts)
    n = min(steps * batch, len(x) // batch * batch)
    steps = n // batch
    rng = np.random.default_rng(0)
    augment = DeviceAugment(stats, cfg.DATASET.sigma, cfg.TRAIN.flip)
    augment = augment if augment.active() else None
    cx = np.full(len(x), 512.0, np.float32)
    warm = DeviceData(x[:20 * batch], y[:20 * batch], cx[:20 * batch], contexts)
    # total_steps: a schedule laid over the run (cosine) is laid over the timed steps.
    train_epoch(Training(net, trainer, warm, cfg.TRAIN, augment=augment, total_steps=steps),
                rng, 0)
    device_data = DeviceData(x[:n], y[:n], cx[:n], contexts)
    step = resident_steps(net, trainer, *resident_batch(x, y, cfg, contexts), steps)
    training = Training(net, trainer, device_data, cfg.TRAIN, augment=augment, total_steps=steps)
    best = best_alternating({'loop': lambda: train_epoch(training, rng, 0), 'step': step},
                            rounds, steps)
    loop = best['loop']
    name += ' + augment' if augment else ''
    line(name, batch / loop, 'samples/s', batch / best['step'],
         'resident batch, %.0f samples/s, %.2f ms/step' % (batch / best['step'], 1000 * best['step']))
    report_step(net, batch, loop, step_breakdown(step, steps), numpy_flops)
    profile_operators(cfg, contexts, x, y, steps)
    if contexts[0].device_type == 'gpu':
        print('  GPU: %.2f ms a step of %d on %s (the original code: under 8 ms a step of 64 on '
              'a GTX 1080, its README)' % (1000 * loop, batch, contexts), flush=True)
    return net


def bench_batchnorm(context, rounds, width=1024):
    """One BatchNorm layer alone (hybridized, forward and backward, `width` channels) at batch
    64 and LARGE_BATCH: MXNet's nn.BatchNorm on the (batch, channels) activations against the
    network's ChannelMajorBatchNorm, timed alternately in the same rounds."""
    for batch in (64, LARGE_BATCH):
        x = mx.nd.random.normal(shape=(batch, width), ctx=context)
        dy = mx.nd.random.normal(shape=(batch, width), ctx=context)
        x.attach_grad()
        fns = {}
        for cls in (mx.gluon.nn.BatchNorm, ChannelMajorBatchNorm):
            layer = cls(in_channels=width)
            layer.initialize(ctx=context)
            layer.hybridize(static_alloc=True, static_shape=True)

            def steps(layer=layer, n=20):
                for _ in range(n):
                    with autograd.record():
                        out = layer(x)
                    out.backward(dy)
            steps()
            fns[cls.__name__] = steps
        best = best_alternating(fns, rounds, 20)
        line('  one BatchNorm layer, batch %d x %d channels' % (batch, width),
             1000 * best['ChannelMajorBatchNorm'], 'ms', 1000 * best['BatchNorm'],
             'MXNet\'s BatchNorm on (batch, channels), %.2f ms; forward and backward'
             % (1000 * best['BatchNorm']))
