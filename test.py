"""Evaluate a trained model on the test subjects: Protocol #1 and #2 per action, joint and axis.

    python test.py --gpu 0 --root . --dataset ./data/ --model output/model/RUN/Model_epoch200.params

Writes beside the model: <model>_results.json, <model>_results.md (the table in the paper's
layout), <model>_test.log and, with --figures N, <model>_samples.png (N test frames: 2D input,
true and predicted 3D) and <model>_actions.png (errors per action). A test-time variant
(--sigma, --flip) adds its tag to these names (<model>_sigma5_results.json), so it never
overwrites the plain results.
"""
import lib.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
import logging
import os

import numpy as np

from lib import runs
from lib.cli import base_parser, check_dataset_root, contexts_from_arg, run, setup_logging
from lib.dataset import cache_folder, load_dataset
from lib.errors import PoseError
from lib.evaluation import ground_truth_poses
from lib.files import atomic_path, write_json, write_text
from lib.figures import action_figure, frame_label, pick_frames, sample_figure, save_figure
from lib.lifter import Lifter
from lib.normalization import compute_stats, network_inputs, network_targets, save_stats
from lib.progress import file_progress
from lib.report import format_markdown, format_table, results_stem, variant_tag

log = logging.getLogger('test')


def parse_args():
    parser = base_parser(__doc__)
    parser.add_argument('--model', required=True, help='a .params file of a training run')
    parser.add_argument('--figures', type=int, default=0, metavar='N',
                        help='also draw N sample test frames and the per-action chart (0: none)')
    parser.add_argument('--sigma', type=float, default=None,
                        help='evaluate under Gaussian noise of this std (pixels) on the 2D input, '
                             'drawn once from TEST.noise_seed (overrides TEST.sigma)')
    parser.add_argument('--flip', action='store_true',
                        help='average the predictions of each input and its mirror image')
    parser.add_argument('--save-predictions', action='store_true',
                        help='also write <model>_predictions.npz: pred3d (N, 17, 3) mm and ids '
                             '(N, 5) subject, action, subaction, camera, frame')
    args = parser.parse_args()
    if args.figures < 0:
        raise PoseError('--figures %d: expected a number of frames >= 0' % args.figures)
    if args.sigma is not None and not 0 <= args.sigma <= 1000:
        raise PoseError('--sigma %s: expected a standard deviation in pixels in [0, 1000]'
                        % args.sigma)
    return args


def seed_statistics(args, cfg, cache_dir):
    """The statistics of a seed checkpoint that has none: recomputed from the training subjects,
    as the seed did, and written to <model>_meanstd.npz for infer.py and export.py."""
    log.info('%s is a seed checkpoint without hyperParams.yaml and meanstd.npz beside it: using '
             'the default (seed) config and recomputing the statistics from the training '
             'subjects %s of %s, as the seed did', args.model, cfg.DATASET.train_subjects,
             args.dataset)
    train = load_dataset(args.dataset, cfg.DATASET.train_subjects, cfg.DATASET,
                         cfg.DATASET.train_2d, cache_dir, file_progress('reading train data'))
    stats = compute_stats(network_inputs(train['pose2d']), network_targets(train['pose3d']))
    save_stats(stats, runs.seed_stats_path(args.model))
    log.info('wrote %s', runs.seed_stats_path(args.model))
    return stats


def write_results(args, stem, results, test, pred):
    write_json(results, stem + '_results.json')
    write_text(format_markdown(results, os.path.basename(args.model)), stem + '_results.md')
    log.info('wrote %s_results.json and %s_results.md', stem, stem)
    if args.save_predictions:
        npz = stem + '_predictions.npz'
        with atomic_path(npz, '.tmp.npz') as tmp:
            np.savez(tmp, pred3d=pred.astype(np.float32), ids=test['ids'])
        log.info('wrote %s', npz)
    if args.figures:
        pick = pick_frames(test['ids'], args.figures)
        fig = sample_figure(test['pose2d'][pick], ground_truth_poses(test['pose3d'][pick]),
                            pred[pick], [frame_label(r) for r in test['ids'][pick]])
        save_figure(fig, stem + '_samples.png')
        save_figure(action_figure(results), stem + '_actions.png')
        log.info('wrote %s_samples.png and %s_actions.png', stem, stem)


def main():
    args = parse_args()
    cfg, stats = runs.load_run(args.model, args.cfg)
    if args.sigma is not None:
        cfg.TEST.sigma = args.sigma
    cfg.TEST.flip = cfg.TEST.flip or args.flip
    contexts = contexts_from_arg(args.gpu)
    check_dataset_root(args.dataset)
    setup_logging(None, args.debug)
    cache_dir = cache_folder(args.root, cfg.DATASET)
    if stats is None:
        stats = seed_statistics(args, cfg, cache_dir)
    lifter = Lifter(cfg, stats, args.model, contexts[0])
    # The test data is read once for all actions.
    test = load_dataset(args.dataset, cfg.DATASET.test_subjects, cfg.DATASET,
                        cfg.DATASET.test_2d, cache_dir, file_progress('reading test data'))
    # Log to a file beside the model only once model and data have loaded.
    stem = results_stem(args.model, variant_tag(cfg.TEST, cfg if args.cfg else None))
    setup_logging(stem + '_test.log', args.debug)
    log.info('model %s; %d test frames of subjects %s; test noise sigma %g px, flip %s',
             args.model, len(test['ids']), cfg.DATASET.test_subjects, cfg.TEST.sigma,
             cfg.TEST.flip)
    results, _, pred = lifter.evaluate(test)
    results['test_options'] = {'sigma': cfg.TEST.sigma, 'noise_seed': cfg.TEST.noise_seed,
                               'flip': cfg.TEST.flip}
    # What the numbers were computed from, so that a result can be traced and compared.
    results['computed_from'] = {
        'model': os.path.abspath(args.model), 'model_sha256': runs.file_sha256(args.model),
        'dataset': os.path.abspath(args.dataset), 'source': cfg.DATASET.source,
        'test_2d': cfg.DATASET.test_2d, 'test_subjects': list(cfg.DATASET.test_subjects),
        'distortion': cfg.DATASET.distortion, 'cfg_files': [os.path.abspath(c) for c in args.cfg]}
    for line in format_table(results):
        log.info(line)
    write_results(args, stem, results, test, pred)
    return 0


if __name__ == '__main__':
    run(main)
