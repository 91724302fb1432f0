"""Train the 2D-to-3D lifting network on Human3.6M (annotation folders or another source).

    python train.py --gpu 0,1 --root . --dataset ./data/ [--cfg my.yaml] [--seed N]
    python train.py --gpu -1 ...        # on the CPU
    python train.py --resume output/model/RUN --dataset ./data/   # continue a killed run
"""
import lib.cli.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
from lib.cli.threads import use_available_cores
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import logging
import os
import pprint
import shutil
import time
from collections import namedtuple

import mxnet as mx

from config import default_config, dump_config, load_configs, to_plain
from lib.cli import threads
from lib.cli.options import base_parser, check_dataset_root, contexts_from_arg, run, setup_logging
from lib.codec import (compute_stats, encode_inputs, input_space, mirror_axis, network_targets,
                       normalize, save_stats)
from lib.core.errors import PoseError
from lib.core.files import write_json, write_text
from lib.core.progress import file_progress
from lib.data.arrays import ACTION, every_nth, id_names
from lib.data.dataset import cache_folder, load_split, split_label
from lib.eval.evaluation import evaluate
from lib.eval.figures import curves_figure, save_figure
from lib.eval.metrics import by_action
from lib.eval.report import format_curves_csv, left_out_text, trained_on, trained_on_text
from lib.model.network import training_bytes, training_network
from lib.train import resume as checkpoints
from lib.model import run_files
from lib.train import runs
from lib.train.augment import DeviceAugment
from lib.train.budget import EPOCH_OVERHEAD_S, TimeBudget, probe_step_seconds
from lib.train.state import RunState
from lib.train.loop import (DeviceData, Training, bn_momentum, epoch_seed, epoch_steps,
                            learning_rate, make_trainer, run_steps, set_seed, stride_offset,
                            train_epoch)

log = logging.getLogger('train')

# What every step of a run works in: the command's arguments, the config, the run folder, its
# log file and the normalisation statistics.
Run = namedtuple('Run', 'args cfg folder log_file stats')


def parse_args(argv=None):
    parser = base_parser(__doc__, training=True)
    parser.add_argument('--seed', type=int, default=None,
                        help='random seed (overrides TRAIN.seed); the same seed on the CPU gives '
                             'the same numbers')
    parser.add_argument('--resume', default=None, metavar='RUN_DIR',
                        help='continue a killed run from its last completed epoch, with its own '
                             'config, statistics, optimiser state and schedule')
    return parser.parse_args(argv)


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
    cfg, _ = runs.load_run_dir(args.resume, default_config())
    if args.seed is not None and args.seed != cfg.TRAIN.seed:
        raise PoseError('--seed %d conflicts with the seed %d of the run in %s'
                        % (args.seed, cfg.TRAIN.seed, args.resume))
    return cfg, args.resume


def check_memory(cfg, contexts):
    """Refuse, before anything is read or written, a network that cannot fit in this machine's
    memory when training on the CPU."""
    need = training_bytes(cfg.NETWORK, cfg.TRAIN.batchsize)
    have = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    if contexts[0].device_type == 'cpu' and need * len(contexts) > have:
        raise PoseError('NETWORK.linear_size %d, nResBlock %d, TRAIN.batchsize %d: training needs '
                        'about %.1f GiB, more than the %.1f GiB of memory of this machine'
                        % (cfg.NETWORK.linear_size, cfg.NETWORK.nResBlock, cfg.TRAIN.batchsize,
                           need * len(contexts) / 2 ** 30, have / 2 ** 30))


def read_data(args, cfg, num_devices):
    """Training and test arrays of the configured source (the test arrays every TEST.every-th
    frame); the training set must hold at least one full batch."""
    cache_dir = cache_folder(args.root, cfg.DATASET)
    train = load_split(args.dataset, 'train', cfg.DATASET, cache_dir,
                       file_progress('reading train data'))
    test = load_split(args.dataset, 'test', cfg.DATASET, cache_dir,
                      file_progress('reading test data'))
    if len(train['ids']) < cfg.TRAIN.batchsize * num_devices:
        raise PoseError('TRAIN.batchsize %d x %d device(s) is more than the %d training frames: '
                        'no full batch, nothing would be trained'
                        % (cfg.TRAIN.batchsize, num_devices, len(train['ids'])))
    return train, every_nth(test, cfg.TEST.every)


def open_run(args, cfg, train, resume):
    """The run folder, its log file and statistics: a new folder with the config, the
    statistics of this training set and the recordings, or the resumed run's own. Made only
    once the data is known to be good: a bad dataset leaves nothing."""
    if resume:
        run_dir = os.path.abspath(args.resume)
        _, stats = runs.load_run_dir(run_dir, default_config())
        setup_logging(runs.log_path(run_dir), args.debug)
        log.info('resuming %s after epoch %d (step %d)', run_dir, resume['epoch'], resume['step'])
        return run_dir, runs.log_path(run_dir), stats
    stats = compute_stats(encode_inputs(train['pose2d'], input_space(cfg.NETWORK)),
                          network_targets(train['pose3d']), 'the training set of %s' % args.dataset)
    name = 'noise-sigma%g_gpu%s' % (cfg.DATASET.sigma, args.gpu.replace(',', '-'))
    run_dir = runs.new_run_dir(args.root, ('Debug_' if args.debug else '') + name)
    log_file = runs.log_path(run_dir)
    try:
        setup_logging(log_file, args.debug)
        for path, write in ((run_files.CONFIG_FILE, dump_config), (run_files.STATS_FILE, save_stats)):
            write(cfg if write is dump_config else stats, os.path.join(run_dir, path))
            runs.record_checksum(os.path.join(run_dir, path))
    except OSError:
        # A full disk (or a folder gone) before the run began: leave no half run folder.
        setup_logging(None, args.debug)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    log.info('run folder %s, log %s', run_dir, log_file)
    log.info('config:\n%s', pprint.pformat(to_plain(cfg), sort_dicts=False))
    return run_dir, log_file, stats


def describe_data(cfg, run_dir, train, test, resume, contexts):
    """recordings.json of a new run; the log lines on what was left out, on test subjects that
    are also trained on, and on the devices."""
    overlap = trained_on(cfg.DATASET)
    if overlap:
        log.warning('WARNING: %s; the test errors logged are training-set errors',
                    trained_on_text(overlap))
    if not resume:
        record = {'train': runs.recordings_record(train), 'test': runs.recordings_record(test)}
        runs.write_run_file(os.path.join(run_dir, run_files.RECORDINGS_FILE),
                            lambda path: write_json(record, path), 0, run_dir)
    for part, data in (('train', train), ('test', test)):
        if data.get('left_out'):
            log.warning('%s: left out for want of 2D input: %s', part,
                        left_out_text(data['left_out']))
    log.info('devices: %s, mxnet %s; %s', contexts, mx.__version__, threads.describe())
    mismatch = resume and threads.resume_mismatch(resume.get('threads'))
    if mismatch:
        log.warning(mismatch)


def build_training(cfg, contexts, train, stats, resume, clock):
    """The Training (network, trainer, the training set resident on every device, its
    augmentation), initialised or restored from the checkpoint, and the RunState: a new run's,
    whose clock starts at `clock`, or the checkpoint's."""
    net = training_network(cfg.NETWORK, contexts)
    trainer = make_trainer(net, cfg.TRAIN)
    space = input_space(cfg.NETWORK)
    data = DeviceData(normalize(encode_inputs(train['pose2d'], space), stats['mean2d'],
                                stats['std2d']),
                      normalize(network_targets(train['pose3d']), stats['mean3d'],
                                stats['std3d']),
                      mirror_axis(len(train['ids']), train['centre'], space), contexts)
    augment = DeviceAugment(stats, cfg.DATASET.sigma, cfg.TRAIN.flip)
    training = Training(net, trainer, data, cfg.TRAIN,
                        augment=augment if augment.active() else None)
    if not resume:
        return training, RunState(clock)
    checkpoints.load_checkpoint_weights(net, trainer, resume, contexts)
    return training, RunState.resumed(resume, clock, cfg.TRAIN.end_epoch)


def plan_epochs(cfg, training, test, stats, budget, start):
    """How many epochs the run will train: TRAIN.end_epoch, or under a time budget as many as
    fit in what is left of it (at least one), from a timed probe of the training step and one
    timed evaluation (whose error, before any training, is logged). `start`: time.time() when
    the run's clock started."""
    if not budget.active:
        return cfg.TRAIN.end_epoch
    step_s = probe_step_seconds(training, cfg.NETWORK)
    test_start = time.time()
    errors, _ = evaluate(training.net, test, stats, training.data.contexts[0], cfg.TEST,
                         input_space(cfg.NETWORK))
    test_s = time.time() - test_start
    steps = epoch_steps(training.data.size, training.batch, cfg.TRAIN.frame_stride, 0)
    epoch_s = steps * step_s + test_s + EPOCH_OVERHEAD_S
    elapsed = time.time() - start
    planned = budget.epochs_that_fit(elapsed, epoch_s, cfg.TRAIN.end_epoch)
    log.info('time budget %.1f min: %.2f s spent reading and timing, %.1f min left; a step '
             'takes %.1f ms, the test %.2f s, an epoch about %.1f s: %d epoch(s) planned '
             '(TRAIN.end_epoch %d); test Protocol#1 before training %.1f mm', budget.seconds / 60,
             elapsed, budget.left(elapsed) / 60, 1000 * step_s, test_s, epoch_s, planned,
             cfg.TRAIN.end_epoch, float(errors['p1'].mean()))
    return planned


def finish_epoch(run, training, state):
    """After an epoch: the curves, a checkpoint when due, and the resume checkpoint, each
    through runs.write_run_file (a full disk: one line saying what the run keeps)."""
    cfg, epoch = run.cfg, state.epoch

    def write(name, writer):
        runs.write_run_file(os.path.join(run.folder, name), writer, state.kept, run.folder)
    write('curves.csv', lambda path: write_text(format_curves_csv(state.curves), path))
    write('curves.png', lambda path: save_figure(curves_figure(state.curves), path))
    if epoch % max(1, state.planned // max(1, cfg.TRAIN.checkpoints)) == 0 or epoch == 1:
        name = run_files.checkpoint_name(epoch, final=False)
        write(name, lambda path: runs.save_parameters(training.net, path))
        log.info('wrote checkpoint %s', os.path.join(run.folder, name))
    if epoch < state.planned:
        write(run_files.RESUME_FILE, lambda path: checkpoints.save_checkpoint(
            training.net, training.trainer, run.folder, cfg, dict(
                state.checkpoint_fields(), devices=len(training.data.contexts),
                threads=threads.thread_count(), dataset=os.path.abspath(run.args.dataset))))
        state.kept = epoch


def finish_run(run, training, state):
    """The final model, written through runs.write_run_file; the resume checkpoint goes."""
    final = os.path.join(run.folder, run_files.checkpoint_name(state.epoch, final=True))
    runs.write_run_file(final, lambda path: runs.save_parameters(training.net, path),
                        state.kept, run.folder)
    checkpoints.clear_checkpoint(run.folder)
    log.info('wrote final model %s', final)


def lay_schedule(training, train_cfg, epochs):
    """A schedule over the whole run (cosine) spans the steps of these epochs."""
    training.total_steps = run_steps(training.data.size, training.batch, train_cfg.frame_stride,
                                     train_cfg.seed, epochs)


def replan(train_cfg, budget, planned, epoch, spent, per_epoch):
    """Under a time budget, after epoch `epoch`: the epochs that still fit, at most
    TRAIN.end_epoch, from the run's seconds `spent` and the seconds an epoch has taken so far
    (the probe misses the files written after each epoch and a machine that slows down);
    `epoch` itself when the next one does not fit (the run stops). Logged when it changes."""
    fit = budget.replanned(planned, epoch, spent, per_epoch, train_cfg.end_epoch)
    if fit <= epoch:
        log.warning('time budget: stopping after epoch %d (%.1f of %.1f min spent, an epoch '
                    'takes %.1f s)', epoch, spent / 60, budget.seconds / 60, per_epoch)
    elif fit != planned:
        log.info('time budget: an epoch takes %.1f s, %.1f min left: %d epochs now planned '
                 'instead of %d', per_epoch, budget.left(spent) / 60, fit, planned)
    return fit


def train_epochs(run, training, test, state):
    """Every epoch left: train, evaluate on the test set, log, write curves and checkpoints.
    `state` (a RunState) moves on with each epoch."""
    cfg = run.cfg
    budget = TimeBudget(cfg.TRAIN.time_budget)
    if state.planned is None:
        state.planned = plan_epochs(cfg, training, test, run.stats, budget, state.started)
    stride, seed = cfg.TRAIN.frame_stride, cfg.TRAIN.seed
    lay_schedule(training, cfg.TRAIN, state.planned)
    first, loop_start = state.epoch + 1, time.time()
    while state.epoch < state.planned:
        if budget.active and state.epoch >= first:
            per_epoch = (time.time() - loop_start) / (state.epoch - first + 1)
            state.planned = replan(cfg.TRAIN, budget, state.planned, state.epoch,
                                   state.seconds(), per_epoch)
            if state.planned <= state.epoch:
                break
            lay_schedule(training, cfg.TRAIN, state.planned)
        epoch = state.epoch + 1
        # Every epoch's randomness (order, dropout, noise, flips) follows from (seed, epoch),
        # so a resumed run draws what the uninterrupted run would have drawn.
        rng = set_seed(epoch_seed(seed, epoch))
        desc = 'epoch %d/%d' % (epoch, state.planned)
        if budget.active:
            desc += ' (%.1f min left)' % (budget.left(state.seconds()) / 60)
        if cfg.TRAIN.bn_momentum_start:
            training.net.set_bn_momentum(bn_momentum(epoch, state.planned,
                                                     cfg.TRAIN.bn_momentum_start,
                                                     cfg.NETWORK.bn_momentum))
        loss, state.step = train_epoch(training, rng, state.step, desc=desc,
                                       offset=stride_offset(seed, epoch, stride))
        state.epoch = epoch
        log_epoch(run, training, test, state, loss)
        finish_epoch(run, training, state)


def log_epoch(run, training, test, state, loss):
    """The test error after an epoch, logged and added to the curves."""
    cfg = run.cfg
    errors, _ = evaluate(training.net, test, run.stats, training.data.contexts[0], cfg.TEST,
                         input_space(cfg.NETWORK))
    p1 = by_action(errors['p1'], test['ids'][:, ACTION], id_names(test)[1])
    lr = learning_rate(state.step, cfg.TRAIN, training.total_steps)
    log.info('epoch %d/%d  step %d  lr %.3e  loss %.4f  test Protocol#1 %.1f mm (Average of '
             'actions %.1f)', state.epoch, state.planned, state.step, lr, loss, p1['All frames'],
             p1['Average'])
    state.curves.append({'epoch': state.epoch, 'step': state.step, 'lr': lr, 'loss': loss,
                         'test_p1': p1['All frames'], 'test_p1_average': p1['Average'],
                         'seconds': state.seconds()})


def main(argv=None):
    clock = time.time()
    args = parse_args(argv)
    cfg, resume_dir = resolve_config(args)
    contexts = contexts_from_arg(args.gpu)
    check_memory(cfg, contexts)
    check_dataset_root(args.dataset)
    locks = [runs.lock_run_dir(resume_dir)] if resume_dir else []
    try:
        resume = (checkpoints.read_checkpoint(resume_dir, cfg, len(contexts), args.dataset,
                                              default_config()) if resume_dir else None)
        setup_logging(None, args.debug)
        set_seed(cfg.TRAIN.seed)
        train, test = read_data(args, cfg, len(contexts))
        run = Run(args, cfg, *open_run(args, cfg, train, resume))
        locks = locks or [runs.lock_run_dir(run.folder)]
        describe_data(cfg, run.folder, train, test, resume, contexts)
        training, state = build_training(cfg, contexts, train, run.stats, resume, clock)
        log.info('train frames %d (%s), test frames %d (%s)', training.data.size,
                 split_label(cfg.DATASET, 'train'), len(test['ids']),
                 split_label(cfg.DATASET, 'test'))
        del train
        train_epochs(run, training, test, state)
        finish_run(run, training, state)
    finally:
        for lock in locks:          # the run folder is free again, whatever ended the run
            lock.close()
    return 0


if __name__ == '__main__':
    run(main)
