"""Benchmark: data preparation, training, evaluation and inference, each against its bound.

    python bench.py [--frames 250] [--gpu -1] [--data DIR]

Writes (or reuses) a synthetic set of all 840 folders with --frames frames each (2500 is the
size of the real Human3.6M; the default 250 is a tenth of it) and prints, for each figure, the
bound it is compared with and the ratio, all measured in the same run:

- parsing the annotation text: poses/s against 100,000 poses/s; peak memory against twice the
  size of the prepared arrays;
- reading the cache: poses/s against 2,000,000 poses/s;
- training at batch 64 per device: samples/s of train_epoch (the training set resident on the
  devices, batches gathered there) against the same network's forward, backward and update on
  one batch already on the device;
- evaluation (Protocol #1 and #2 for every test frame): frames/s against plain inference on the
  same frames;
- inference at batch 1024: poses/s, and the network's arithmetic rate against numpy's matrix
  multiply rate on this machine.
"""
import lib.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
import os
import shutil
import tempfile
import time
import tracemalloc

import mxnet as mx
import numpy as np
from mxnet import autograd

from config import load_configs
from lib import h36m, synthetic
from lib.cli import contexts_from_arg, parser_for, run
from lib.errors import PoseError
from lib.augment import DeviceAugment
from lib.dataset import load_subjects
from lib.evaluation import evaluate
from lib.model import build_network, initialize_network
from lib.normalization import compute_stats, network_inputs, network_targets, normalize
from lib.prediction import predict
from lib.training import DeviceData, make_trainer, set_seed, train_epoch


def line(name, value, unit, bound=None, bound_text=''):
    ratio = '' if bound is None else '  ratio %.2f  (bound: %s)' % (value / bound, bound_text)
    print('%-44s %14.1f %-10s%s' % (name, value, unit, ratio), flush=True)


def ensure_dataset(path, frames):
    """Reuse the synthetic set in `path` when its marker says it has `frames` frames; replace a
    set that bench.py wrote with another size; refuse a folder bench.py did not write."""
    marker = os.path.join(path, 'bench-synthetic-frames.txt')
    if os.path.exists(marker):
        if open(marker).read().strip() == str(frames):
            return
        shutil.rmtree(path)              # our own set of another size
    elif os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise PoseError('--data %s: exists and was not written by bench.py (no %s); give an '
                        'empty or new folder' % (path, os.path.basename(marker)))
    t = time.time()
    synthetic.generate(path, frames=frames, seed=0)
    with open(marker, 'w') as f:
        f.write(str(frames))
    print('wrote synthetic set: 840 folders x %d frames in %.0f s' % (frames, time.time() - t))


def bench_data(path, workers):
    subjects = list(h36m.SUBJECTS)
    tracemalloc.start()
    t = time.time()
    data = load_subjects(path, subjects, workers=workers)
    seconds = time.time() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(data['ids'])
    size = sum(a.nbytes for a in data.values())
    line('parse annotation text (%d poses, %d workers)' % (n, workers), n / seconds, 'poses/s',
         1e5, '100,000 poses/s')
    line('  peak memory while parsing', peak / 2 ** 20, 'MiB', 2 * size / 2 ** 20,
         'twice the prepared arrays, %.0f MiB' % (2 * size / 2 ** 20))
    with tempfile.TemporaryDirectory() as cache:
        load_subjects(path, subjects, cache_dir=cache, workers=workers)      # writes the cache
        t = time.time()
        cached = load_subjects(path, subjects, cache_dir=cache, workers=workers)
        seconds = time.time() - t
    assert len(cached['ids']) == n
    line('read the cache (checked)', n / seconds, 'poses/s', 2e6, '2,000,000 poses/s')
    return data


def bench_training(data, contexts, steps, cfg):
    train = np.isin(data['ids'][:, 0], cfg.DATASET.train_subjects)
    x = network_inputs(data['pose2d'][train])
    y = network_targets(data['pose3d'][train])
    stats = compute_stats(x, y)
    x = normalize(x, stats['mean2d'], stats['std2d'])
    y = normalize(y, stats['mean3d'], stats['std3d'])
    set_seed(0)
    net = build_network(cfg.NETWORK)
    initialize_network(net, cfg.NETWORK, contexts)
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = make_trainer(net, cfg.TRAIN)
    batch = cfg.TRAIN.batchsize * len(contexts)
    n = steps * batch
    rng = np.random.default_rng(0)
    # Warm up, then the real loop on the first `steps` batches of a shuffled epoch.
    augment = DeviceAugment(stats, cfg.DATASET.sigma, cfg.TRAIN.flip)
    augment = augment if augment.active() else None
    cx = np.full(len(x), 512.0, np.float32)
    warm = DeviceData(x[:20 * batch], y[:20 * batch], cx[:20 * batch], contexts)
    train_epoch(net, trainer, warm, cfg.TRAIN.batchsize, cfg.TRAIN, rng, 0, augment)
    data = DeviceData(x[:n], y[:n], cx[:n], contexts)
    mx.nd.waitall()
    t = time.time()
    train_epoch(net, trainer, data, cfg.TRAIN.batchsize, cfg.TRAIN, rng, 0, augment)
    mx.nd.waitall()
    loop_rate = n / (time.time() - t)
    # The bound: the same steps on one batch that already sits on the devices.
    xs = mx.gluon.utils.split_and_load(x[:batch], contexts)
    ys = mx.gluon.utils.split_and_load(y[:batch], contexts)
    t = time.time()
    for _ in range(steps):
        with autograd.record():
            losses = [mx.nd.mean(mx.nd.square(net(a) - b), axis=1) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(batch)
    mx.nd.waitall()
    bound = n / (time.time() - t)
    extra = ' + augment' if augment else ''
    line('training, batch %d x %d device(s)%s' % (cfg.TRAIN.batchsize, len(contexts), extra), loop_rate,
         'samples/s', bound, 'resident batch, %.0f samples/s, %.2f ms/step'
         % (bound, 1000 * batch / bound))
    return net, stats, cfg


def bench_evaluation(net, stats, cfg, data, context):
    test = np.isin(data['ids'][:, 0], cfg.DATASET.test_subjects)
    subset = {k: v[test] for k, v in data.items()}
    x = normalize(network_inputs(subset['pose2d']), stats['mean2d'], stats['std2d'])
    predict(net, x[:4096], context, cfg.TEST.batchsize)          # warm up
    t = time.time()
    predict(net, x, context, cfg.TEST.batchsize)
    plain = len(x) / (time.time() - t)
    t = time.time()
    evaluate(net, subset, stats, context, cfg.TEST)
    full = len(x) / (time.time() - t)
    line('evaluation, Protocol #1 and #2 (%d frames)' % len(x), full, 'frames/s', plain,
         'plain inference, %.0f frames/s' % plain)
    return x


def bench_inference(net, x, context):
    batch = 1024
    reps = max(1, 20000 // len(x[:batch]))
    xb = mx.nd.array(x[:batch], ctx=context)
    net(xb).wait_to_read()
    t = time.time()
    for _ in range(reps):
        out = net(xb)
    out.wait_to_read()
    rate = reps * batch / (time.time() - t)
    flops_per_pose = 2 * sum(int(np.prod(d.weight.shape)) for d in net.dense_layers())
    a = np.random.rand(1024, 1024).astype(np.float32)
    a @ a
    t = time.time()
    for _ in range(10):
        a @ a
    numpy_flops = 10 * 2 * 1024 ** 3 / (time.time() - t)
    line('inference, batch 1024', rate, 'poses/s')
    line('  network arithmetic rate', rate * flops_per_pose / 1e9, 'GFLOP/s', numpy_flops / 1e9,
         'numpy float32 1024^3 matmul, %.1f GFLOP/s' % (numpy_flops / 1e9))


def main():
    parser = parser_for(__doc__)
    parser.add_argument('--frames', type=int, default=250, help='frames per folder (2500: full size)')
    parser.add_argument('--data', default=os.path.join(tempfile.gettempdir(), 'pose-bench-data'),
                        help='where the synthetic set is written (reused when its size matches)')
    parser.add_argument('--gpu', default='-1', help='devices as in train.py')
    parser.add_argument('--steps', type=int, default=300, help='training steps to time')
    parser.add_argument('--workers', type=int, default=os.cpu_count(), help='parsing processes')
    parser.add_argument('--cfg', action='append', default=[],
                        help='YAML over the defaults for the network and training figures, e.g. '
                             'configs/paper.yaml')
    args = parser.parse_args()
    if not 1 <= args.frames <= 100000:
        raise PoseError('--frames %d: expected 1..100000 frames per folder' % args.frames)
    if not 1 <= args.steps <= 10 ** 6 or not 1 <= args.workers <= 256:
        raise PoseError('--steps and --workers: expected positive counts')
    cfg = load_configs(args.cfg)
    contexts = contexts_from_arg(args.gpu)
    print('machine: %d cores; devices %s; mxnet %s, numpy %s'
          % (os.cpu_count(), contexts, mx.__version__, np.__version__))
    ensure_dataset(args.data, args.frames)
    data = bench_data(args.data, args.workers)
    net, stats, cfg = bench_training(data, contexts, args.steps, cfg)
    x = bench_evaluation(net, stats, cfg, data, contexts[0])
    bench_inference(net, x, contexts[0])
    return 0


if __name__ == '__main__':
    run(main)
