"""Benchmark: data preparation, training, evaluation and inference, each against its bound.

    python tools/bench.py [--frames 250] [--gpu -1] [--data DIR] [--cfg configs/paper.yaml]

Writes (or reuses) a synthetic set of all 840 recordings with --frames frames each, as
annotation folders and as HDF5 and CDF files (2500 frames is the size of the real Human3.6M;
the default 250 is a tenth of it), then prints for each figure the bound it is compared with
and the ratio, all measured in the same run:

- reading: the annotation parser against 100,000 poses/s, its peak memory against twice the
  prepared arrays, the cache against 2,000,000 poses/s, and the HDF5 and CDF readers beside the
  parser;
- training at the batch of --cfg (64 per device by default) and at batch 1024 (the large
  batch of fast recipes and GPUs): samples/s of train_epoch against the same network's
  forward, backward and update on one batch already on the device, and against the arithmetic
  bound (the step's FLOPs at numpy's matrix-multiply rate); where the step goes (forward,
  backward, the Adam update, the loop) and its slowest operators; one epoch of the real
  Human3.6M's size;
- one BatchNorm layer alone, the network's (ChannelMajorBatchNorm) against MXNet's, at batch 64
  and 1024 (the ratio: the share of MXNet's time it takes);
- max-norm: the paper recipe's step (configs/paper.yaml) against the seed recipe's;
- evaluation (every protocol for every test frame) against plain inference on the same frames;
- inference at batch 1024: the trained network, the folded one that predictions use
  (lib.model.fold_batchnorm), oneDNN graph fusion, and the ONNX export in onnxruntime, each
  against numpy's matrix-multiply rate;
- infer.py's animation of a lifted track (a synthetic walk of ANIMATION_FRAMES frames) against
  the lift of its file with the shipped model (the goal: at most 3 times).
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
import tempfile
import time

import mxnet as mx
import numpy as np

from config import load_configs
from lib.cli import threads
from lib.cli.options import contexts_from_arg, parser_for, run
from lib.codec import network_inputs, normalize
from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import write_json
from lib.core.layouts import LAYOUTS
from lib.core.resources import DEFAULT_CAMERAS
from lib.data.arrays import ARRAY_KEYS, SUBJECT, camera_view
from lib.data.cameras import load_cameras
from lib.data.synthetic import sequence
from lib.eval.animation import save_animation
from lib.eval.evaluation import evaluate
from lib.eval.prediction import predict
from lib.infer.lifter import Lifter
from lib.model.network import fold_batchnorm
from tools.bench_data import bench_data, ensure_dataset, line
from tools.bench_training import (LARGE_BATCH, alternating_times, bench_batchnorm,
                                  bench_training, best_time, flops_per_sample, matmul_rate,
                                  new_trainer, resident_batch, resident_steps, training_arrays)

PAPER_CFG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'configs',
                         'paper.yaml')


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
    test = np.isin(data['ids'][:, SUBJECT], cfg.DATASET.test_subjects)
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


ANIMATION_FRAMES = 329


def bench_animation(folder):
    """The lift of a COCO results file (three people walking, ANIMATION_FRAMES frames) with the
    shipped model, and the animation of one track, each timed once: the line gives the
    animation's time against the lift's."""
    poses = sequence(9, 14, 1, ANIMATION_FRAMES, 0)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    _, pose2d = camera_view(poses, load_cameras(DEFAULT_CAMERAS)[9][0], False)
    j = {name: k for k, name in enumerate(h36m.JOINT_NAMES)}
    head, nose = pose2d[:, j['Head']], pose2d[:, j['Neck/Nose']]
    coco = {'Nose': nose, 'LEye': head + [6, 8], 'REye': head + [-6, 8], 'LEar': head + [12, 10],
            'REar': head + [-12, 10], 'LAnkle': pose2d[:, j['LFoot']],
            'RAnkle': pose2d[:, j['RFoot']]}
    points = np.stack([coco.get(name, pose2d[:, j.get(name, 0)])
                       for name in LAYOUTS['coco']], axis=1)
    results = [{'image_id': f, 'category_id': 1, 'score': 1.0,
                'keypoints': np.concatenate([points[f] + [250.0 * k, 0], np.ones((17, 1))],
                                            axis=1).ravel().round(2).tolist()}
               for f in range(ANIMATION_FRAMES) for k in range(3)]
    path = os.path.join(folder, 'walk_coco.json')
    write_json(results, path)
    lifter = Lifter.load()
    start = time.time()
    person = lifter.lift_file(path).people[0]
    lift = time.time() - start
    start = time.time()
    save_animation(person.pose2d, person.pose3d, [str(r) for r in person.rows],
                   os.path.join(folder, 'walk.gif'))
    line('animation of a lifted track (%d frames)' % len(person.rows), time.time() - start, 's',
         lift, 'the lift of its file, 3 people, %.2f s' % lift)


def parse_args(argv=None):
    parser = parser_for(__doc__)
    parser.add_argument('--frames', type=int, default=250, help='frames per folder (2500: full size)')
    parser.add_argument('--data', default=os.path.join(tempfile.gettempdir(), 'pose-bench-data'),
                        help='where the synthetic set is written (reused when its size matches)')
    parser.add_argument('--gpu', default='-1', help='devices as in train.py')
    parser.add_argument('--steps', type=int, default=100,
                        help='training steps of 64 a round (at batch 1024, as many samples)')
    parser.add_argument('--rounds', type=int, default=5,
                        help='rounds of the training and inference timings; the best counts '
                             '(max-norm: 3x, and the median); reading is timed once')
    parser.add_argument('--workers', type=int, default=os.cpu_count(), help='parsing processes')
    parser.add_argument('--cfg', action='append', default=[],
                        help='YAML over the defaults for the network and training figures, e.g. '
                             'configs/paper.yaml')
    args = parser.parse_args(argv)
    if not 1 <= args.frames <= 100000:
        raise PoseError('--frames %d: expected 1..100000 frames per folder' % args.frames)
    if not 1 <= args.steps <= 10 ** 6 or not 1 <= args.workers <= 256 or not 1 <= args.rounds <= 100:
        raise PoseError('--steps, --rounds and --workers: expected positive counts '
                        '(--rounds at most 100)')
    return args


def main(argv=None):
    args = parse_args(argv)
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
    net = None
    for batch in dict.fromkeys([cfg.TRAIN.batchsize, LARGE_BATCH]):
        batch_cfg = copy.deepcopy(cfg)
        batch_cfg.TRAIN.batchsize = batch
        batch_cfg.TRAIN.frame_stride = 1        # every frame: the loop is timed per step
        steps = max(2, args.steps * 64 // batch)
        trained = bench_training(x, y, stats, contexts, steps, args.rounds, batch_cfg,
                                 numpy_flops)
        net = net or trained
    bench_batchnorm(contexts[0], args.rounds)
    bench_max_norm(x, y, contexts, args.steps, args.rounds, cfg)
    del x, y
    folded = fold_batchnorm(net, contexts[0])
    folded.hybridize(static_alloc=True, static_shape=True)
    test_x = bench_evaluation(folded, stats, cfg, data, contexts[0])
    bench_inference(net, folded, stats, test_x, contexts[0], args.rounds, numpy_flops)
    with tempfile.TemporaryDirectory() as scratch:
        bench_animation(scratch)
    return 0


if __name__ == '__main__':
    run(main)
