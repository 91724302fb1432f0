"""Evaluate a trained model on the test subjects: Protocol #1 and #2 per action, joint and axis.

    python test.py --gpu 0 --root . --dataset ./data/ --model output/model/RUN/Model_epoch200.params
"""
import logging
import os

from lib import runs
from lib.cli import base_parser, check_dataset_root, contexts_from_arg, run
from lib.dataset import load_subjects
from lib.evaluation import evaluate
from lib.model import build_network
from lib.report import format_table, results_path, summarize, write_json

log = logging.getLogger('test')


def main():
    parser = base_parser(__doc__.split('\n')[1])
    parser.add_argument('--model', required=True, help='a .params file of a training run')
    args = parser.parse_args()
    cfg, stats = runs.load_run(args.model, args.cfg)
    contexts = contexts_from_arg(args.gpu)
    check_dataset_root(args.dataset)
    runs.setup_logging(None, args.debug)

    net = build_network(cfg.NETWORK)
    runs.load_parameters(net, args.model, contexts[:1])
    if cfg.NETWORK.hybrid:
        net.hybridize(static_alloc=True, static_shape=True)
    cache_dir = os.path.join(args.root, 'output', 'cache') if cfg.DATASET.cache else None
    # The test data is read once for all actions.
    test = load_subjects(args.dataset, cfg.DATASET.test_subjects, cfg.DATASET.distortion, cache_dir)
    # Log to a file beside the model only once model and data have loaded.
    stem = results_path(args.model)[:-len('_results.json')]
    runs.setup_logging(stem + '_test.log', args.debug)
    log.info('model %s; %d test frames of subjects %s', args.model, len(test['ids']),
             cfg.DATASET.test_subjects)
    errors, _ = evaluate(net, test, stats, contexts[0], cfg.TEST.batchsize)
    results = summarize(errors, test['ids'])
    for line in format_table(results):
        log.info(line)
    out = results_path(args.model)
    write_json(results, out)
    log.info('wrote %s', out)
    return 0


if __name__ == '__main__':
    run(main)
