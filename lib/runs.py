"""Run folders and the files a trained run keeps beside its parameters.

A training run lives in ROOT/output/model/<YYYY-mm-dd_HH-MM-SS>_<name>/ with
  hyperParams.yaml                    the resolved config it ran with,
  meanstd.npz                         the normalisation statistics of its training set,
  Checkpoint_epoch<N>.params          every end_epoch/checkpoints epochs (and epoch 1), as the seed,
  Model_epoch<end>.params             the final model,
and its log in ROOT/output/train-log/<same name>.log.
"""
import json
import logging
import os
import sys
import time

import mxnet as mx

from config import default_config, load_config, load_configs
from lib.errors import PoseError
from lib.files import atomic_path
from lib.normalization import load_stats
from lib.report import write_json
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
    with atomic_path(path) as tmp:
        net.save_parameters(tmp)


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


RESUME_FILE = 'resume.json'


def read_run_files(run_dir, cfg_override, context):
    """The config (with the YAML files of cfg_override applied over it) and the statistics kept
    in a run folder; `context` starts the error message when one is missing."""
    cfg_path = os.path.join(run_dir, CONFIG_FILE)
    stats_path = os.path.join(run_dir, STATS_FILE)
    for p in (cfg_path, stats_path):
        if not os.path.isfile(p):
            raise PoseError('%s: %s is missing (a run folder of train.py holds %s and %s)'
                            % (context, p, CONFIG_FILE, STATS_FILE))
    cfg = load_configs(cfg_override, load_config(cfg_path, default_config()))
    n = cfg.NETWORK.nJoints
    return cfg, load_stats(stats_path, 2 * n, 3 * n)


def load_run_dir(run_dir):
    """Config and statistics of a run folder (for --resume)."""
    if not os.path.isdir(run_dir):
        raise PoseError('--resume %s: no such run folder' % run_dir)
    return read_run_files(run_dir, [], '--resume %s' % run_dir)


def save_resume_state(net, trainer, run_dir, state):
    """Parameters, optimiser state and progress after an epoch. The JSON, renamed into place
    last, is the commit point: it names the parameter and state files it belongs to, so a kill
    at any moment leaves either the previous complete state or the new one."""
    tag = 'resume_epoch%d' % state['epoch']
    save_parameters(net, os.path.join(run_dir, tag + '.params'))
    states = os.path.join(run_dir, tag + '.states')
    with atomic_path(states) as tmp:
        trainer.save_states(tmp)
    old = read_json(os.path.join(run_dir, RESUME_FILE))
    state = dict(state, params=tag + '.params', states=tag + '.states')
    write_json(state, os.path.join(run_dir, RESUME_FILE))
    if old and old.get('params') != state['params']:
        for key in ('params', 'states'):
            try:
                os.remove(os.path.join(run_dir, old[key]))
            except OSError:
                pass


def clear_resume_state(run_dir):
    """Remove the resume files once the final model is written."""
    state = read_json(os.path.join(run_dir, RESUME_FILE))
    if state:
        os.remove(os.path.join(run_dir, RESUME_FILE))
        for key in ('params', 'states'):
            try:
                os.remove(os.path.join(run_dir, state[key]))
            except OSError:
                pass


def read_resume_state(run_dir, cfg, num_devices):
    """The saved progress of a run, checked against the run's config and the devices."""
    path = os.path.join(run_dir, RESUME_FILE)
    state = read_json(path)
    if state is None:
        final = os.path.join(run_dir, checkpoint_name(cfg.TRAIN.end_epoch, final=True))
        if os.path.isfile(final):
            raise PoseError('--resume %s: the run already finished (%s exists)' % (run_dir, final))
        raise PoseError('--resume %s: no %s; the run was stopped before its first epoch ended, '
                        'start it again' % (run_dir, RESUME_FILE))
    for key in ('epoch', 'step', 'curves', 'elapsed', 'devices', 'log_file', 'params', 'states'):
        if key not in state:
            raise PoseError('%s: field %s is missing' % (path, key))
    if state['devices'] != num_devices:
        raise PoseError('--gpu: the run trained on %d device(s) (batch %d per device); resume it '
                        'on as many' % (state['devices'], cfg.TRAIN.batchsize))
    for key in ('params', 'states'):
        if not os.path.isfile(os.path.join(run_dir, state[key])):
            raise PoseError('%s: %s names %s, which is missing' % (path, key, state[key]))
    return state


def load_resume_weights(net, trainer, run_dir, state, contexts):
    load_parameters(net, os.path.join(run_dir, state['params']), contexts)
    trainer.load_states(os.path.join(run_dir, state['states']))


def read_json(path):
    """A JSON file's content, or None when it does not exist; a broken one is a PoseError."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise PoseError('%s: unreadable (%s)' % (path, e))



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
    if is_seed_checkpoint(model_path) and not os.path.isfile(os.path.join(run_dir, STATS_FILE)):
        return load_configs(cfg_override or []), None
    return read_run_files(run_dir, cfg_override or [], '--model %s' % model_path)


def cache_dir(root, cfg):
    """ROOT/output/cache, or None when DATASET.cache is off."""
    return os.path.join(root, 'output', 'cache') if cfg.DATASET.cache else None
