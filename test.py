"""Evaluate trained models on the test subjects: every measure per action, joint and axis.

    python test.py --gpu 0 --root . --dataset ./data/ --model output/model/RUN/Model_epoch200.params
    python test.py ... --model RUN1/M.params RUN2/M.params RUN3/M.params [--vs RUN4/M.params ...]

Writes beside each model: <model>_results.json, <model>_results.md (the table in the paper's
layout, with the paper's row for the same 2D input), <model>_test.log and, with --figures N,
<model>_samples.png (N test frames: 2D input, true and predicted 3D) and <model>_actions.png
(errors per action). A test-time variant (--sigma, --flip, TEST.every, --cfg) adds its tag to
these names (<model>_sigma5_results.json), so it never overwrites the plain results. With
several models the test data is read once, and the mean and standard deviation over the runs
(and, with --vs, the difference between the two groups with a 95% interval) are printed and
written to --summary (default ROOT/output/compare/<date>_<time>.json and .md).
"""
import lib.cli.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
from config import default_config
from lib.cli.threads import use_available_cores
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import logging
import os
import time

import numpy as np

from lib.cli.options import base_parser, check_dataset_root, contexts_from_arg, run, setup_logging
from lib.codec import compute_stats, network_inputs, network_targets, save_stats
from lib.core.errors import PoseError
from lib.core.files import atomic_path, check_output, write_json, write_text
from lib.core.progress import file_progress
from lib.data.arrays import every_nth, id_names
from lib.data.dataset import MOCAP, cache_folder, cameras_file, load_split, split_label
from lib.eval import runstats
from lib.eval.evaluation import ground_truth_poses
from lib.eval.figures import action_figure, frame_label, pick_frames, sample_figure, save_figure
from lib.eval.report import format_markdown, format_table, results_stem, trained_on, variant_tag
from lib.eval.sample_page import write_sample_page
from lib.infer.lifter import Lifter
from lib.model import run_files
from lib.model.run_files import refuse_run_file

log = logging.getLogger('test')


def parse_args(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--model', required=True, nargs='+',
                        help='.params file(s) of training runs (or seed checkpoints)')
    parser.add_argument('--vs', nargs='+', default=[], metavar='MODEL',
                        help='a second group of runs to compare with the --model group')
    parser.add_argument('--summary', default=None, metavar='FILE.json',
                        help='where the summary of several runs goes (.json and .md beside it)')
    parser.add_argument('--figures', type=int, default=0, metavar='N',
                        help='also draw N sample test frames and the per-action chart (0: none)')
    parser.add_argument('--html', default=None, metavar='FILE',
                        help='a page of each action\'s worst, median and best test frame, the '
                             'prediction over the truth in 3D (several models: FILE, then '
                             '<stem>_2.html, ...)')
    parser.add_argument('--sigma', type=float, default=None,
                        help='evaluate under Gaussian noise of this std (pixels) on the 2D input, '
                             'drawn once from TEST.noise_seed (overrides TEST.sigma)')
    parser.add_argument('--flip', action='store_true',
                        help='average the predictions of each input and its mirror image')
    parser.add_argument('--save-predictions', action='store_true',
                        help='also write <model>_predictions.npz: pred3d (N, 17, 3) mm and ids '
                             '(N, 5) subject, action, subaction, camera, frame')
    args = parser.parse_args(argv)
    if args.figures < 0:
        raise PoseError('--figures %d: expected a number of frames >= 0' % args.figures)
    if args.sigma is not None and not 0 <= args.sigma <= 1000:
        raise PoseError('--sigma %s: expected a standard deviation in pixels in [0, 1000]'
                        % args.sigma)
    models = args.model + args.vs
    if len(set(map(os.path.realpath, models))) != len(models):
        raise PoseError('--model/--vs: a model is named twice')
    if args.summary:
        check_summary_paths(args.summary)
    if args.html:
        if not args.html.endswith(('.html', '.htm')):
            raise PoseError('--html %s: expected a .html file name' % args.html)
        for path in html_paths(args):
            check_output(path, '--html')
            refuse_run_file('--html', path)
    return args


def html_paths(args):
    """--html's file for each model, in order: the name itself, then <stem>_2.html, ..."""
    stem, ext = os.path.splitext(args.html)
    return [args.html] + ['%s_%d%s' % (stem, k, ext)
                          for k in range(2, len(args.model) + len(args.vs) + 1)]


def check_summary_paths(path):
    """--summary FILE.json and the FILE.md and FILE.log beside it: none may be a run's own file
    or anything but a regular file, and one that exists must be a summary that test.py wrote,
    never a file it did not create."""
    if not path.endswith('.json'):
        raise PoseError('--summary %s: expected a .json file name' % path)
    stem = path[:-len('.json')]
    ours = {path: lambda text: '"aggregate"' in text and '"models"' in text,
            stem + '.md': lambda text: text.startswith('# ') and 'runs evaluated on the same' in text,
            stem + '.log': lambda text: text[:1] in ('', '[')}
    for name, written_by_us in ours.items():
        refuse_run_file('--summary', name)
        check_output(name, '--summary')
        if os.path.isfile(name):
            with open(name, errors='replace') as f:
                head = f.read(1 << 20)
            if not written_by_us(head):
                raise PoseError('--summary %s: %s exists and is not a summary of test.py; choose '
                                'another name' % (path, name))


# The settings that decide which test frames a model is scored on: every model of one call
# must agree on them, since the test data is read once.
TEST_DATA_KEYS = (('DATASET', 'source'), ('DATASET', 'test_2d'), ('DATASET', 'test_subjects'),
                  ('DATASET', 'distortion'), ('DATASET', 'cameras'), ('DATASET', 'mocap_test'),
                  ('DATASET', 'mocap_cameras'), ('DATASET', 'mocap_views'), ('TEST', 'every'))


def read_models(args):
    """[(model, cfg, stats)] with the test options applied; the models must agree on the test
    data settings."""
    out = []
    for model in args.model + args.vs:
        cfg, stats = run_files.load_run(model, args.cfg, default_config())
        if args.sigma is not None:
            cfg.TEST.sigma = args.sigma
        cfg.TEST.flip = cfg.TEST.flip or args.flip
        if out:
            first_model, first = out[0][0], out[0][1]
            for section, key in TEST_DATA_KEYS:
                if cfg[section][key] != first[section][key]:
                    raise PoseError('--model %s: %s.%s is %r, but %r for %s; models evaluated '
                                    'together must share the test data'
                                    % (model, section, key, cfg[section][key],
                                       first[section][key], first_model))
        out.append((model, cfg, stats))
    return out


def seed_statistics(args, model, cfg, cache_dir):
    """The statistics of a seed checkpoint that has none: recomputed from the training subjects,
    as the seed did, and written to <model>_meanstd.npz for infer.py and export.py."""
    log.info('%s is a seed checkpoint without hyperParams.yaml and meanstd.npz beside it: using '
             'the default (seed) config and recomputing the statistics from the training '
             '%s of %s, as the seed did', model, split_label(cfg.DATASET, 'train'),
             args.dataset)
    train = load_split(args.dataset, 'train', cfg.DATASET, cache_dir,
                       file_progress('reading train data'))
    stats = compute_stats(network_inputs(train['pose2d']), network_targets(train['pose3d']))
    save_stats(stats, run_files.seed_stats_path(model))
    log.info('wrote %s', run_files.seed_stats_path(model))
    return stats


def write_results(args, model, cfg, stem, results, test, pred):
    write_json(results, stem + '_results.json')
    write_text(format_markdown(results, os.path.basename(model), cfg.DATASET.test_2d),
               stem + '_results.md')
    log.info('wrote %s_results.json and %s_results.md', stem, stem)
    if args.save_predictions:
        npz = stem + '_predictions.npz'
        with atomic_path(npz, '.tmp.npz') as tmp:
            np.savez(tmp, pred3d=pred.astype(np.float32), ids=test['ids'])
        log.info('wrote %s', npz)
    if args.figures:
        pick = pick_frames(test['ids'], args.figures)
        names = id_names(test)
        fig = sample_figure(test['pose2d'][pick], ground_truth_poses(test['pose3d'][pick]),
                            pred[pick], [frame_label(r, names) for r in test['ids'][pick]])
        save_figure(fig, stem + '_samples.png')
        save_figure(action_figure(results), stem + '_actions.png')
        log.info('wrote %s_samples.png and %s_actions.png', stem, stem)


def cameras_used(dataset_cfg, dataset_root):
    """Where the test cameras came from, for results.json."""
    if dataset_cfg.source == 'annot':
        return 'the annotation files'
    if dataset_cfg.source == MOCAP and dataset_cfg.mocap_cameras == 'random':
        return 'virtual: %d random cameras a take' % dataset_cfg.mocap_views
    if dataset_cfg.source == MOCAP and dataset_cfg.mocap_cameras == 'mixed':
        return ('virtual: %d random cameras a take and the four of %s'
                % (dataset_cfg.mocap_views, cameras_file(dataset_cfg.cameras, dataset_root)))
    return cameras_file(dataset_cfg.cameras, dataset_root)


def evaluate_model(args, model, cfg, stats, context, test):
    """One model's evaluation, its files and its log; returns its results dict."""
    lifter = Lifter(cfg, stats, model, context)
    stem = results_stem(model, variant_tag(cfg.TEST, cfg if args.cfg else None))
    setup_logging(stem + '_test.log', args.debug)
    log.info('model %s; %d test frames of %s (%s); test noise sigma %g px, flip %s',
             model, len(test['ids']), split_label(cfg.DATASET, 'test'),
             'every frame' if cfg.TEST.every == 1 else 'every %d-th frame' % cfg.TEST.every,
             cfg.TEST.sigma, cfg.TEST.flip)
    results, errors, pred = lifter.evaluate(test)
    results['test_options'] = {'sigma': cfg.TEST.sigma, 'noise_seed': cfg.TEST.noise_seed,
                               'flip': cfg.TEST.flip, 'every': cfg.TEST.every}
    # Recordings of the test subjects that have no 2D input (S11 Directions of the detections).
    results['left_out'] = test.get('left_out', [])
    results['trained_on'] = trained_on(cfg.DATASET)
    # What the numbers were computed from, so that a result can be traced and compared.
    results['computed_from'] = {
        'model': os.path.abspath(model), 'model_sha256': run_files.file_sha256(model),
        'dataset': os.path.abspath(args.dataset), 'source': cfg.DATASET.source,
        'test_2d': cfg.DATASET.test_2d, 'test_split': split_label(cfg.DATASET, 'test'),
        'distortion': cfg.DATASET.distortion, 'cfg_files': [os.path.abspath(c) for c in args.cfg],
        'cameras': cameras_used(cfg.DATASET, args.dataset)}
    for line in format_table(results):
        log.info(line)
    write_results(args, model, cfg, stem, results, test, pred)
    if args.html:
        path = html_paths(args)[(args.model + args.vs).index(model)]
        write_sample_page(path, os.path.basename(model), every_nth(test, cfg.TEST.every), errors,
                          pred)
        log.info('wrote %s', path)
    return results


def summarize_runs(args, all_results):
    """The mean and spread over the runs (and the group difference with --vs): logged and
    written to --summary."""
    models = args.model + args.vs
    path = args.summary or os.path.join(args.root, 'output', 'compare',
                                        time.strftime('%Y-%m-%d_%H-%M-%S') + '.json')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    setup_logging(path[:-len('.json')] + '.log', args.debug)
    agg = runstats.aggregate(all_results)
    summary = {'models': [os.path.abspath(m) for m in models], 'aggregate': agg}
    for line in runstats.format_aggregate(agg, len(models), 'All runs'):
        log.info(line)
    diff, groups = None, None
    if args.vs:
        groups = (args.model, args.vs)
        diff = runstats.compare_groups(all_results[:len(args.model)],
                                       all_results[len(args.model):])
        summary['groups'] = {'A': [os.path.abspath(m) for m in args.model],
                             'B': [os.path.abspath(m) for m in args.vs]}
        summary['group_A'] = runstats.aggregate(all_results[:len(args.model)])
        summary['group_B'] = runstats.aggregate(all_results[len(args.model):])
        summary['difference_A_minus_B'] = diff
        for line in runstats.format_comparison(diff):
            log.info(line)
    write_json(summary, path)
    write_text(runstats.format_markdown(agg, len(models), models, diff, groups),
               path[:-len('.json')] + '.md')
    log.info('wrote %s and %s', path, path[:-len('.json')] + '.md')


def main(argv=None):
    args = parse_args(argv)
    models = read_models(args)
    contexts = contexts_from_arg(args.gpu)
    check_dataset_root(args.dataset)
    setup_logging(None, args.debug)
    first_cfg = models[0][1]
    cache_dir = cache_folder(args.root, first_cfg.DATASET)
    # The test data is read once for all actions and all models.
    test = load_split(args.dataset, 'test', first_cfg.DATASET, cache_dir,
                      file_progress('reading test data'))
    test = every_nth(test, first_cfg.TEST.every)
    all_results = []
    for model, cfg, stats in models:
        if stats is None:
            stats = seed_statistics(args, model, cfg, cache_dir)
        all_results.append(evaluate_model(args, model, cfg, stats, contexts[0], test))
    if len(models) > 1:
        summarize_runs(args, all_results)
    return 0


if __name__ == '__main__':
    run(main)
