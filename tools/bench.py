"""Benchmark: data preparation, training, evaluation and inference, each against its bound.

    python tools/bench.py [--frames 250] [--gpu -1] [--data DIR] [--cfg configs/paper.yaml]

Writes (or reuses) a synthetic set of all 840 recordings with --frames frames each, as
annotation folders and as HDF5 and CDF files (2500 frames is the size of the real Human3.6M;
the default 250 is a tenth of it), then prints for each figure the bound it is compared with
and the ratio, all measured in the same run:

- reading: the annotation parser against 100,000 poses/s, its peak memory against twice the
  prepared arrays, the cache against 2,000,000 poses/s, and the HDF5 and CDF readers beside the
  parser;
- training at batch 64 per device (the recipe of --cfg): samples/s of train_epoch against the
  same network's forward, backward and update on one batch already on the device, and against
  the arithmetic bound (the step's FLOPs at numpy's matrix-multiply rate); where the step goes
  (forward, backward, the Adam update, the loop); one epoch of the real Human3.6M's size;
- max-norm: the paper recipe's step (configs/paper.yaml) against the seed recipe's;
- evaluation (every protocol for every test frame) against plain inference on the same frames;
- inference at batch 1024: the trained network, the folded one that predictions use
  (lib.model.fold_batchnorm), oneDNN graph fusion, and the ONNX export in onnxruntime, each
  against numpy's matrix-multiply rate.
Training and inference timings are the best of --rounds rounds (the least disturbed by other
work on the machine); max-norm's comparison runs three times as many rounds and also gives the
median of their paired ratios; reading and evaluation are timed once, each a whole pass.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib.cli.interrupt  # noqa: E402,F401  (first of all: Ctrl-C while loading is one line)
from lib.cli.threads import use_available_cores  # noqa: E402
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import copy
import re
import tempfile
import time

import mxnet as mx
import numpy as np
from mxnet import autograd

from config import load_configs
from lib.cli import threads
from lib.cli.options import contexts_from_arg, parser_for, run
from lib.codec import compute_stats, network_inputs, network_targets, normalize
from lib.core.errors import PoseError
from lib.data.arrays import ARRAY_KEYS
from lib.eval.evaluation import evaluate
from lib.eval.prediction import predict
from lib.model.network import build_network, fold_batchnorm, initialize_network
from lib.train.augment import DeviceAugment
from lib.train.loop import (DeviceData, Training, batch_losses, make_trainer, set_seed,
                            train_epoch)
from tools.bench_data import bench_data, ensure_dataset, line

# The real Human3.6M: 1,559,752 training frames (subjects 1 5 6 7 8, 4 cameras), 24,371 full
# batches of 64 an epoch.
REAL_TRAIN_FRAMES = 1559752
PAPER_CFG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'configs',
                         'paper.yaml')


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
    train = np.isin(data['ids'][:, 0], cfg.DATASET.train_subjects)
    x = network_inputs(data['pose2d'][train])
    y = network_targets(data['pose3d'][train])
    stats = compute_stats(x, y)
    return (normalize(x, stats['mean2d'], stats['std2d']),
            normalize(y, stats['mean3d'], stats['std3d']), stats)


def new_trainer(cfg, contexts, hybridize=True):
    set_seed(0)
    net = build_network(cfg.NETWORK)
    initialize_network(net, cfg.NETWORK, contexts)
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
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
            with autograd.record():
                losses = batch_losses(net, xs, ys)
            autograd.backward(losses)
            trainer.step(batch)
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


def bench_training(x, y, stats, contexts, steps, rounds, cfg, numpy_flops, profile=False):
    """x, y, stats: training_arrays."""
    net, trainer = new_trainer(cfg, contexts)
    batch = cfg.TRAIN.batchsize * len(contexts)
    n = min(steps * batch, len(x) // batch * batch)
    steps = n // batch
    rng = np.random.default_rng(0)
    augment = DeviceAugment(stats, cfg.DATASET.sigma, cfg.TRAIN.flip)
    augment = augment if augment.active() else None
    cx = np.full(len(x), 512.0, np.float32)
    warm = DeviceData(x[:20 * batch], y[:20 * batch], cx[:20 * batch], contexts)
    train_epoch(Training(net, trainer, warm, cfg.TRAIN, augment=augment), rng, 0)
    device_data = DeviceData(x[:n], y[:n], cx[:n], contexts)
    step = resident_steps(net, trainer, *resident_batch(x, y, cfg, contexts), steps)
    training = Training(net, trainer, device_data, cfg.TRAIN, augment=augment)
    best = best_alternating({'loop': lambda: train_epoch(training, rng, 0), 'step': step},
                            rounds, steps)
    loop = best['loop']
    parts = step_breakdown(step, steps)
    step_flops = 3 * flops_per_sample(net) * batch                    # forward + 2x backward
    arithmetic = step_flops / numpy_flops
    extra = ' + augment' if augment else ''
    name = 'training, batch %d x %d device(s)%s' % (cfg.TRAIN.batchsize, len(contexts), extra)
    line(name, batch / loop, 'samples/s', batch / best['step'],
         'resident batch, %.0f samples/s, %.2f ms/step' % (batch / best['step'], 1000 * best['step']))
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
    if profile:
        profile_operators(cfg, contexts, x, y, steps)
    if contexts[0].device_type == 'gpu':
        print('  GPU: %.2f ms a step of %d on %s (the original code: under 8 ms a step of 64 on '
              'a GTX 1080, its README)' % (1000 * loop, batch, contexts), flush=True)
    return net


def bench_max_norm(x, y, contexts, steps, rounds, cfg):
    """The resident step of the seed recipe (cfg) and of the paper's (configs/paper.yaml over
    cfg) on training_arrays x, y, measured in alternating rounds."""
    recipes = {'seed': cfg, 'paper': load_configs([PAPER_CFG], base=copy.deepcopy(cfg))}
    xs, ys = resident_batch(x, y, cfg, contexts)
    runs = {}
    for name, recipe in recipes.items():
        net, trainer = new_trainer(recipe, contexts)
        runs[name] = resident_steps(net, trainer, xs, ys, steps)
        best_time(runs[name], 1)                                       # warm up
    # Three times the rounds: a difference of a few per cent needs more than the best of five.
    times = alternating_times(runs, 3 * rounds, steps)
    best = {name: min(t) for name, t in times.items()}
    line('max-norm: paper recipe step', 1000 * best['paper'], 'ms', 1000 * best['seed'],
         'seed recipe, %.2f ms/step' % (1000 * best['seed']))
    paired = np.median(np.array(times['paper']) / np.array(times['seed']))
    print('  the median of the %d rounds\' paired ratios (each round times both): %.2f'
          % (len(times['seed']), paired), flush=True)


def bench_evaluation(net, stats, cfg, data, context):
    test = np.isin(data['ids'][:, 0], cfg.DATASET.test_subjects)
    subset = {k: data[k][test] for k in ARRAY_KEYS}
    x = normalize(network_inputs(subset['pose2d']), stats['mean2d'], stats['std2d'])
    predict(net, x[:4096], context, cfg.TEST.batchsize)          # warm up
    t = time.time()
    predict(net, x, context, cfg.TEST.batchsize)
    plain = len(x) / (time.time() - t)
    t = time.time()
    evaluate(net, subset, stats, context, cfg.TEST)
    full = len(x) / (time.time() - t)
    line('evaluation, every protocol (%d frames)' % len(x), full, 'frames/s', plain,
         'plain inference, %.0f frames/s' % plain)
    return x


def inference_rate(fn, x, rounds):
    """Poses/s of fn(x) at batch len(x), best of `rounds` rounds of enough calls for 20,000."""
    reps = max(1, 20000 // len(x))
    fn(x)
    return len(x) * reps / best_time(lambda: [fn(x) for _ in range(reps)][-1], rounds)


def bench_inference(net, folded, stats, x, context, rounds, numpy_flops):
    """net: the trained network; folded: fold_batchnorm(net), hybridized."""
    batch = x[:1024]
    flops = flops_per_sample(net)
    xb = mx.nd.array(batch, ctx=context)
    bound = 'numpy float32 1024^3 matmul, %.1f GFLOP/s' % (numpy_flops / 1e9)

    def report(name, rate):
        line(name, rate, 'poses/s', numpy_flops / flops,
             bound + ', %.0f poses/s' % (numpy_flops / flops))

    report('inference, batch %d: trained network' % len(batch),
           inference_rate(lambda b: net(b).wait_to_read(), xb, rounds))
    report('  folded BatchNorm (what predictions use)',
           inference_rate(lambda b: folded(b).wait_to_read(), xb, rounds))
    for size in (256, 4096):                       # TEST.batchsize is 1024
        other = mx.nd.array(x[:size], ctx=context)
        report('    the same at batch %d' % len(other),
               inference_rate(lambda b: folded(b).wait_to_read(), other, rounds))
    if context.device_type == 'cpu':
        fused = fold_batchnorm(net, context)
        fused.optimize_for(xb, backend='MKLDNN')
        report('  folded + oneDNN graph fusion (MKLDNN)',
               inference_rate(lambda b: fused(b).wait_to_read(), xb, rounds))
    bench_onnx(net, stats, batch, rounds, report)


def bench_onnx(net, stats, batch, rounds, report):
    import onnxruntime
    from lib.model.onnx import export_onnx
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'model.onnx')
        export_onnx(net, stats, path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads.thread_count() or 0
        session = onnxruntime.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    pixels = batch * stats['std2d'] + stats['mean2d']                 # the export takes pixels
    report('  ONNX export in onnxruntime (CPU)',
           inference_rate(lambda b: session.run(None, {name: b}), pixels.astype(np.float32),
                          rounds))


def parse_args():
    parser = parser_for(__doc__)
    parser.add_argument('--frames', type=int, default=250, help='frames per folder (2500: full size)')
    parser.add_argument('--data', default=os.path.join(tempfile.gettempdir(), 'pose-bench-data'),
                        help='where the synthetic set is written (reused when its size matches)')
    parser.add_argument('--gpu', default='-1', help='devices as in train.py')
    parser.add_argument('--steps', type=int, default=100, help='training steps a round')
    parser.add_argument('--rounds', type=int, default=5,
                        help='rounds of the training and inference timings; the best counts '
                             '(max-norm: 3x, and the median); reading is timed once')
    parser.add_argument('--profile', action='store_true',
                        help='also print the operators of an unhybridized training step (profiler)')
    parser.add_argument('--workers', type=int, default=os.cpu_count(), help='parsing processes')
    parser.add_argument('--cfg', action='append', default=[],
                        help='YAML over the defaults for the network and training figures, e.g. '
                             'configs/paper.yaml')
    args = parser.parse_args()
    if not 1 <= args.frames <= 100000:
        raise PoseError('--frames %d: expected 1..100000 frames per folder' % args.frames)
    if not 1 <= args.steps <= 10 ** 6 or not 1 <= args.workers <= 256 or not 1 <= args.rounds <= 100:
        raise PoseError('--steps, --rounds and --workers: expected positive counts '
                        '(--rounds at most 100)')
    return args


def main():
    args = parse_args()
    cfg = load_configs(args.cfg)
    contexts = contexts_from_arg(args.gpu)
    print('%s; %d cores; %s; devices %s; mxnet %s, numpy %s'
          % (time.strftime('%Y-%m-%d %H:%M'), os.cpu_count(), threads.describe(), contexts,
             mx.__version__, np.__version__))
    if contexts[0].device_type == 'cpu':
        print('GPU: none used (--gpu -1; MXNet sees %d GPU(s)): no GPU figure in this run'
              % mx.context.num_gpus())
    ensure_dataset(args.data, args.frames)
    data = bench_data(args.data, args.workers)
    numpy_flops = matmul_rate()
    x, y, stats = training_arrays(data, cfg)
    net = bench_training(x, y, stats, contexts, args.steps, args.rounds, cfg, numpy_flops,
                         args.profile)
    bench_max_norm(x, y, contexts, args.steps, args.rounds, cfg)
    del x, y
    folded = fold_batchnorm(net, contexts[0])
    folded.hybridize(static_alloc=True, static_shape=True)
    test_x = bench_evaluation(folded, stats, cfg, data, contexts[0])
    bench_inference(net, folded, stats, test_x, contexts[0], args.rounds, numpy_flops)
    return 0


if __name__ == '__main__':
    run(main)
