"""Run folders and the files a trained run keeps beside its parameters.

A training run lives in ROOT/output/model/<YYYY-mm-dd_HH-MM-SS>_<name>/ with
  hyperParams.yaml                    the resolved config it ran with,
  meanstd.npz                         the normalisation statistics of its training set,
  Checkpoint_epoch<N>.params          every end_epoch/checkpoints epochs (and epoch 1), as the seed,
  Model_epoch<end>.params             the final model,
and its log in ROOT/output/train-log/<same name>.log.
"""
import logging
import os
import sys
import time

import mxnet as mx

from config import default_config, load_config, load_configs
from lib.errors import PoseError
from lib.normalization import load_stats
from lib.seed_checkpoint import is_seed_checkpoint, load_seed_checkpoint

CONFIG_FILE = 'hyperParams.yaml'
STATS_FILE = 'meanstd.npz'


def new_run_dir(root, name):
    """Create and return a fresh run folder; an existing one is never reused."""
    base = os.path.join(root, 'output', 'model', '%s_%s' % (time.strftime('%Y-%m-%d_%H-%M-%S'), name))
    path, k = base, 1
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            k += 1
            path = '%s_%d' % (base, k)
        except OSError as e:
            raise PoseError('%s: cannot create the run folder (%s)' % (path, e.strerror))


def setup_logging(log_file=None, debug=False):
    """Log to the console and, when given, to a file: one format, no print() elsewhere."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt = logging.Formatter('[%(asctime)s] %(message)s', '%Y-%m-%d %H:%M:%S')
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(fmt)
    root.addHandler(console)
    if log_file:
        os.makedirs(os.path.dirname(log_file) or '.', exist_ok=True)
        handler = logging.FileHandler(log_file)
        handler.setFormatter(fmt)
        root.addHandler(handler)


def checkpoint_name(epoch, final):
    return ('Model_epoch%d.params' if final else 'Checkpoint_epoch%d.params') % epoch


def save_parameters(net, path):
    """net.save_parameters, written under a temporary name and renamed."""
    tmp = path + '.tmp'
    net.save_parameters(tmp)
    os.replace(tmp, path)


def load_parameters(net, path, contexts):
    """Load a params file (ours, or a seed checkpoint) into net; a file of another network
    shape is a PoseError."""
    if is_seed_checkpoint(path):
        load_seed_checkpoint(net, path, contexts)
        return
    try:
        net.load_parameters(path, ctx=contexts)
    except (AssertionError, mx.base.MXNetError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise PoseError('%s: does not fit this network (%s)' % (path, first[:200]))


def load_run(model_path, cfg_override=None):
    """Config and statistics of the run that holds `model_path`.

    Returns (cfg, stats). `cfg_override` (a list of YAML paths) is applied over the run's config.
    A seed checkpoint without our hyperParams.yaml and meanstd.npz beside it gets the default
    config (the seed's values) and stats None: the caller recomputes them from the training
    subjects, as the seed did.
    """
    if not os.path.isfile(model_path):
        raise PoseError('--model %s: no such file' % model_path)
    run_dir = os.path.dirname(os.path.abspath(model_path))
    cfg_path = os.path.join(run_dir, CONFIG_FILE)
    stats_path = os.path.join(run_dir, STATS_FILE)
    if is_seed_checkpoint(model_path) and not os.path.isfile(stats_path):
        return load_configs(cfg_override or []), None
    for p in (cfg_path, stats_path):
        if not os.path.isfile(p):
            raise PoseError('%s: missing beside the model %s (a run folder holds %s and %s)'
                            % (p, model_path, CONFIG_FILE, STATS_FILE))
    cfg = load_configs(cfg_override or [], load_config(cfg_path, default_config()))
    n = cfg.NETWORK.nJoints
    return cfg, load_stats(stats_path, 2 * n, 3 * n)
