"""Train the 2D-to-3D lifting network on Human3.6M (annotation folders or another source).

    python train.py --gpu 0,1 --root . --dataset ./data/ [--cfg my.yaml] [--seed N]
    python train.py --gpu -1 ...        # on the CPU
    python train.py --resume output/model/RUN --dataset ./data/   # continue a killed run
"""
import lib.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
from lib.threads import use_available_cores
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import logging
import os
import pprint
import time

import mxnet as mx

from config import dump_config, load_configs, to_plain
from lib import runs, threads
from lib.arrays import every_nth
from lib.augment import DeviceAugment
from lib.cli import base_parser, check_dataset_root, contexts_from_arg, run, setup_logging
from lib.dataset import cache_folder, load_dataset
from lib.errors import PoseError
from lib.evaluation import evaluate
from lib.figures import curves_figure, save_figure
from lib.files import write_json, write_text
from lib.metrics import by_action
from lib.model import build_network, initialize_network
from lib.normalization import compute_stats, network_inputs, network_targets, normalize, save_stats
from lib.progress import file_progress
from lib.report import format_curves_csv
from lib.training import (DeviceData, epoch_seed, learning_rate, make_trainer, set_seed,
                          train_epoch)

log = logging.getLogger('train')


def parse_args():
    parser = base_parser(__doc__)
    parser.add_argument('--seed', type=int, default=None,
                        help='random seed (overrides TRAIN.seed); the same seed on the CPU gives '
                             'the same numbers')
    parser.add_argument('--resume', default=None, metavar='RUN_DIR',
                        help='continue a killed run from its last completed epoch, with its own '
                             'config, statistics, optimiser state and schedule')
    return parser.parse_args()


def resolve_config(args):
    """The config of a new run (defaults, --cfg files, --seed), or of the run to resume, with
    the resume state (None for a new run)."""
    if not args.resume:
        cfg = load_configs(args.cfg)
        if args.seed is not None:
            if not 0 <= args.seed < 2 ** 32:
                raise PoseError('--seed %d: expected 0 <= seed < 2^32' % args.seed)
            cfg.TRAIN.seed = args.seed
        return cfg, None
    if args.cfg:
        raise PoseError('--resume %s uses the config the run was started with; drop --cfg '
                        '(start a new run to change it)' % args.resume)
    cfg, _ = runs.load_run_dir(args.resume)
    if args.seed is not None and args.seed != cfg.TRAIN.seed:
        raise PoseError('--seed %d conflicts with the seed %d of the run in %s'
                        % (args.seed, cfg.TRAIN.seed, args.resume))
    return cfg, args.resume


def read_data(args, cfg):
    """Training and test arrays of the configured source."""
    cache_dir = cache_folder(args.root, cfg.DATASET)
    train = load_dataset(args.dataset, cfg.DATASET.train_subjects, cfg.DATASET,
                         cfg.DATASET.train_2d, cache_dir, file_progress('reading train data'))
    test = load_dataset(args.dataset, cfg.DATASET.test_subjects, cfg.DATASET,
                        cfg.DATASET.test_2d, cache_dir, file_progress('reading test data'))
    return train, test


def open_run(args, cfg, x_train, y_train, resume):
    """The run folder, its log file and statistics: a new folder with the config and the
    statistics of this training set, or the resumed run's own."""
    if resume:
        run_dir = os.path.abspath(args.resume)
        _, stats = runs.load_run_dir(run_dir)
        setup_logging(resume['log_file'], args.debug)
        log.info('resuming %s after epoch %d (step %d)', run_dir, resume['epoch'], resume['step'])
        return run_dir, resume['log_file'], stats
    stats = compute_stats(x_train, y_train, 'the training set of %s' % args.dataset)
    name = 'noise-sigma%g_gpu%s' % (cfg.DATASET.sigma, args.gpu.replace(',', '-'))
    run_dir = runs.new_run_dir(args.root, ('Debug_' if args.debug else '') + name)
    log_file = runs.log_path(args.root, run_dir)
    setup_logging(log_file, args.debug)
    for path, write in ((runs.CONFIG_FILE, dump_config), (runs.STATS_FILE, save_stats)):
        write(cfg if write is dump_config else stats, os.path.join(run_dir, path))
        runs.record_checksum(os.path.join(run_dir, path))
    log.info('run folder %s, log %s', run_dir, log_file)
    log.info('config:\n%s', pprint.pformat(to_plain(cfg), sort_dicts=False))
    return run_dir, log_file, stats


def build_training(cfg, contexts, run_dir, resume):
    """Network and trainer, initialised or restored from the resume state; returns them with
    (first epoch, step, curves, elapsed seconds)."""
    net = build_network(cfg.NETWORK)
    initialize_network(net, cfg.NETWORK, contexts)
    if cfg.NETWORK.hybrid:
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = make_trainer(net, cfg.TRAIN)
    if not resume:
        return net, trainer, (1, 0, [], 0.0)
    runs.load_resume_weights(net, trainer, run_dir, resume, contexts)
    return net, trainer, (resume['epoch'] + 1, resume['step'], resume['curves'],
                          resume['elapsed'])


def main():
    args = parse_args()
    cfg, resume_dir = resolve_config(args)
    contexts = contexts_from_arg(args.gpu)
    check_dataset_root(args.dataset)
    lock = runs.lock_run_dir(resume_dir) if resume_dir else None
    resume = (runs.read_resume_state(resume_dir, cfg, len(contexts), args.dataset)
              if resume_dir else None)
    setup_logging(None, args.debug)
    set_seed(cfg.TRAIN.seed)
    train, test = read_data(args, cfg)
    test = every_nth(test, cfg.TEST.every)
    x_train, y_train = network_inputs(train['pose2d']), network_targets(train['pose3d'])
    if len(x_train) < cfg.TRAIN.batchsize * len(contexts):
        raise PoseError('TRAIN.batchsize %d x %d device(s) is more than the %d training frames: '
                        'no full batch, nothing would be trained'
                        % (cfg.TRAIN.batchsize, len(contexts), len(x_train)))
    # The run folder is made only once the data and the statistics are known to be good: a bad
    # dataset leaves nothing.
    run_dir, log_file, stats = open_run(args, cfg, x_train, y_train, resume)
    lock = lock or runs.lock_run_dir(run_dir)
    if not resume:
        write_json({'train': runs.recordings_record(train), 'test': runs.recordings_record(test)},
                   os.path.join(run_dir, runs.RECORDINGS_FILE))
    for part, data in (('train', train), ('test', test)):
        for item in data.get('left_out', []):
            log.warning('%s: S%d %s left out (no 2D input, %d frames)', part, item['subject'],
                        item['recording'], item['frames'])
    log.info('devices: %s, mxnet %s; %s', contexts, mx.__version__, threads.describe())
    mismatch = resume and threads.resume_mismatch(resume.get('threads'))
    if mismatch:
        log.warning(mismatch)

    # The whole training set goes to every device once; batches are gathered there.
    data = DeviceData(normalize(x_train, stats['mean2d'], stats['std2d']),
                      normalize(y_train, stats['mean3d'], stats['std3d']),
                      train['centre'][:, 0], contexts)
    augment = DeviceAugment(stats, cfg.DATASET.sigma, cfg.TRAIN.flip)
    log.info('train frames %d (subjects %s), test frames %d (subjects %s)', data.size,
             cfg.DATASET.train_subjects, len(test['ids']), cfg.DATASET.test_subjects)
    del x_train, y_train, train
    net, trainer, (first, step, curves, elapsed) = build_training(cfg, contexts, run_dir, resume)

    end = cfg.TRAIN.end_epoch
    every = max(1, end // max(1, cfg.TRAIN.checkpoints))
    start = time.time() - elapsed
    for epoch in range(first, end + 1):
        # Every epoch's randomness (order, dropout, noise, flips) follows from (seed, epoch),
        # so a resumed run draws what the uninterrupted run would have drawn.
        rng = set_seed(epoch_seed(cfg.TRAIN.seed, epoch))
        loss, step = train_epoch(net, trainer, data, cfg.TRAIN.batchsize, cfg.TRAIN, rng, step,
                                 augment if augment.active() else None,
                                 desc='epoch %d/%d' % (epoch, end))
        errors, _ = evaluate(net, test, stats, contexts[0], cfg.TEST)
        p1 = by_action(errors['p1'], test['ids'][:, 1])
        log.info('epoch %d/%d  step %d  lr %.3e  loss %.4f  test Protocol#1 %.1f mm (Average of '
                 'actions %.1f)', epoch, end, step, learning_rate(step, cfg.TRAIN), loss,
                 p1['All frames'], p1['Average'])
        curves.append({'epoch': epoch, 'step': step, 'lr': learning_rate(step, cfg.TRAIN),
                       'loss': loss, 'test_p1': p1['All frames'], 'test_p1_average': p1['Average'],
                       'seconds': time.time() - start})
        # Rewritten every epoch so that a long run can be watched.
        write_text(format_curves_csv(curves), os.path.join(run_dir, 'curves.csv'))
        save_figure(curves_figure(curves), os.path.join(run_dir, 'curves.png'))
        if epoch % every == 0 or epoch == 1:
            path = os.path.join(run_dir, runs.checkpoint_name(epoch, final=False))
            runs.save_parameters(net, path)
            log.info('wrote checkpoint %s', path)
        if epoch < end:
            runs.save_resume_state(net, trainer, run_dir, {
                'epoch': epoch, 'step': step, 'curves': curves, 'elapsed': time.time() - start,
                'devices': len(contexts), 'log_file': log_file,
                'threads': threads.thread_count(),
                'dataset': os.path.abspath(args.dataset)})
    final = os.path.join(run_dir, runs.checkpoint_name(end, final=True))
    runs.save_parameters(net, final)
    runs.clear_resume_state(run_dir)
    log.info('wrote final model %s', final)
    lock.close()
    return 0


if __name__ == '__main__':
    run(main)
