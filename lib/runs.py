"""A training run's folder and every file in it: one writer and one reader each.

A training run lives in ROOT/output/model/<YYYY-mm-dd_HH-MM-SS>_<name>/ with
  hyperParams.yaml                    the resolved config it ran with,
  meanstd.npz                         the normalisation statistics of its training set,
  Checkpoint_epoch<N>.params          at epoch 1 and every end_epoch // checkpoints epochs,
  Model_epoch<end>.params             the final model,
  resume.json, resume_epoch<N>.*      the state of an unfinished run (lib.runs.save_resume_state),
  curves.csv, curves.png              the training curves, rewritten every epoch,
and its log in ROOT/output/train-log/<same name>.log.
"""
import fcntl
import hashlib
import os
import time

import mxnet as mx
import numpy as np

from config import default_config, load_config, load_configs
from lib import h36m
from lib.errors import PoseError, error_reason
from lib.files import atomic_path, read_json, write_json
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


def checkpoint_name(epoch, final):
    return ('Model_epoch%d.params' if final else 'Checkpoint_epoch%d.params') % epoch


CHECKSUM_FILE = 'checksums.json'


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def record_checksum(path):
    """Note the SHA-256 of a file train.py wrote in its folder's checksums.json."""
    book = os.path.join(os.path.dirname(os.path.abspath(path)), CHECKSUM_FILE)
    sums = read_json(book) or {}
    sums[os.path.basename(path)] = file_sha256(path)
    write_json(sums, book)


def forget_checksums(run_dir, names):
    book = os.path.join(run_dir, CHECKSUM_FILE)
    sums = read_json(book)
    if sums and any(n in sums for n in names):
        write_json({k: v for k, v in sums.items() if k not in names}, book)


def verify_checksum(path):
    """A file whose folder's checksums.json records another SHA-256 is a PoseError: it was
    damaged or changed after train.py wrote it. Files without a record (seed checkpoints, runs
    of earlier versions) pass."""
    sums = read_json(os.path.join(os.path.dirname(os.path.abspath(path)), CHECKSUM_FILE))
    name = os.path.basename(path)
    if sums and name in sums and sums[name] != file_sha256(path):
        raise PoseError('%s: its SHA-256 differs from the one train.py recorded in %s: the file '
                        'is damaged or was changed since (to change a run\'s config, pass --cfg)'
                        % (path, CHECKSUM_FILE))


def save_parameters(net, path):
    """net.save_parameters, written under a temporary name and renamed, its checksum recorded."""
    with atomic_path(path) as tmp:
        net.save_parameters(tmp)
    record_checksum(path)


def load_parameters(net, path, contexts):
    """Load a params file (ours, or a seed checkpoint) into net, after checking its recorded
    checksum; a damaged file or one of another network shape is a PoseError."""
    verify_checksum(path)
    if is_seed_checkpoint(path):
        load_seed_checkpoint(net, path, contexts)
    else:
        try:
            net.load_parameters(path, ctx=contexts)
        except (AssertionError, mx.base.MXNetError, ValueError) as e:
            raise PoseError('%s: does not fit this network (%s)' % (path, error_reason(e)))
    for name, param in net.collect_params().items():
        if not np.all(np.isfinite(param.data(contexts[0]).asnumpy())):
            raise PoseError('%s: %s holds NaN or infinity (a damaged file)' % (path, name))


RESUME_FILE = 'resume.json'


def seed_stats_path(model_path):
    """<model without .params>_meanstd.npz: the statistics test.py recomputes for a seed
    checkpoint that has none beside it."""
    stem = model_path[:-len('.params')] if model_path.endswith('.params') else model_path
    return stem + '_meanstd.npz'


RECORDINGS_FILE = 'recordings.json'


def recordings_record(data):
    """The recordings a run used and left out (lib.arrays data): for recordings.json."""
    used = sorted({tuple(int(v) for v in r) for r in data['ids'][:, :3]})
    names = {tuple(int(v) for v in r): str(n)
             for r, n in zip(data.get('rec_ids', []), data.get('rec_names', []))}
    return {'recordings': [{'subject': s, 'action': h36m.ACTIONS[a], 'subaction': u,
                            'name': names.get((s, a, u), '')} for s, a, u in used],
            'frames': int(len(data['ids'])), 'left_out': data.get('left_out', [])}


def log_path(root, run_dir):
    """ROOT/output/train-log/<run folder name>.log"""
    return os.path.join(os.path.abspath(root), 'output', 'train-log',
                        os.path.basename(run_dir) + '.log')


def read_run(run_dir, cfg_override, where):
    """The config (with the YAML files of cfg_override applied over it) and the statistics kept
    in a run folder; `where` (the option that named the folder) starts the error message when
    one is missing."""
    cfg_path = os.path.join(run_dir, CONFIG_FILE)
    stats_path = os.path.join(run_dir, STATS_FILE)
    for p in (cfg_path, stats_path):
        if not os.path.isfile(p):
            raise PoseError('%s: %s is missing (a run folder of train.py holds %s and %s)'
                            % (where, p, CONFIG_FILE, STATS_FILE))
        verify_checksum(p)
    cfg = load_configs(cfg_override, load_config(cfg_path, default_config()))
    return cfg, load_stats(stats_path)


def load_run_dir(run_dir):
    """Config and statistics of a run folder (for --resume)."""
    if not os.path.isdir(run_dir):
        raise PoseError('--resume %s: no such run folder' % run_dir)
    return read_run(run_dir, [], '--resume %s' % run_dir)


def save_resume_state(net, trainer, run_dir, state):
    """Parameters, optimiser state and progress after an epoch. The JSON, renamed into place
    last, is the commit point: it names the parameter and state files it belongs to, so a kill
    at any moment leaves either the previous complete state or the new one."""
    tag = 'resume_epoch%d' % state['epoch']
    save_parameters(net, os.path.join(run_dir, tag + '.params'))
    states = os.path.join(run_dir, tag + '.states')
    with atomic_path(states) as tmp:
        trainer.save_states(tmp)
    record_checksum(states)
    old = read_json(os.path.join(run_dir, RESUME_FILE))
    state = dict(state, params=tag + '.params', states=tag + '.states')
    write_json(state, os.path.join(run_dir, RESUME_FILE))
    if old and old.get('params') != state['params']:
        _remove_resume_files(run_dir, old)


def _remove_resume_files(run_dir, state):
    names = [state[k] for k in ('params', 'states') if isinstance(state.get(k), str)]
    for name in names:
        try:
            os.remove(os.path.join(run_dir, name))
        except OSError:
            pass
    forget_checksums(run_dir, names)


def clear_resume_state(run_dir):
    """Remove the resume files once the final model is written."""
    state = read_json(os.path.join(run_dir, RESUME_FILE))
    if state:
        os.remove(os.path.join(run_dir, RESUME_FILE))
        _remove_resume_files(run_dir, state)


RESUME_FIELDS = {'epoch': int, 'step': int, 'curves': list, 'elapsed': (int, float),
                 'devices': int, 'log_file': str, 'params': str, 'states': str}


def read_resume_state(run_dir, cfg, num_devices, dataset):
    """The saved progress of a run, checked field by field and against the run's config, the
    devices and the dataset it trained on."""
    path = os.path.join(run_dir, RESUME_FILE)
    state = read_json(path)
    if state is None:
        final = os.path.join(run_dir, checkpoint_name(cfg.TRAIN.end_epoch, final=True))
        if os.path.isfile(final):
            raise PoseError('--resume %s: the run already finished (%s exists)' % (run_dir, final))
        raise PoseError('--resume %s: no %s: no epoch of this run was saved (it stopped or failed '
                        'before its first epoch ended); start it again' % (run_dir, RESUME_FILE))
    if not isinstance(state, dict):
        raise PoseError('%s: expected a JSON object' % path)
    for key, kind in RESUME_FIELDS.items():
        if key not in state:
            raise PoseError('%s: field %s is missing' % (path, key))
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise PoseError('%s: field %s is %r, expected %s' % (path, key, state[key],
                                                                 getattr(kind, '__name__', 'a number')))
    if not 1 <= state['epoch'] < cfg.TRAIN.end_epoch or state['step'] < 0:
        raise PoseError('%s: epoch %d / step %d out of range (the run has %d epochs)'
                        % (path, state['epoch'], state['step'], cfg.TRAIN.end_epoch))
    saved = state.get('dataset')
    if saved and os.path.abspath(dataset) != saved:
        raise PoseError('--dataset %s: the run trained on %s; resume it on the same data'
                        % (dataset, saved))
    if state['devices'] != num_devices:
        raise PoseError('--gpu: the run trained on %d device(s) (batch %d per device); resume it '
                        'on as many' % (state['devices'], cfg.TRAIN.batchsize))
    for key in ('params', 'states'):
        if not os.path.isfile(os.path.join(run_dir, state[key])):
            raise PoseError('%s: %s names %s, which is missing' % (path, key, state[key]))
    return state


def load_resume_weights(net, trainer, run_dir, state, contexts):
    """Parameters and optimiser state of the resume state, checksums checked."""
    load_parameters(net, os.path.join(run_dir, state['params']), contexts)
    states = os.path.join(run_dir, state['states'])
    verify_checksum(states)
    try:
        trainer.load_states(states)
    except Exception as e:          # MXNet raises several kinds on a truncated or foreign file
        raise PoseError('%s: not a readable optimiser state (%s)' % (states, error_reason(e)))


def lock_run_dir(run_dir):
    """Hold an exclusive lock on the run folder for this process's life: a second train.py on
    the same run (two --resume at once) is refused instead of racing."""
    handle = open(os.path.join(run_dir, '.lock'), 'a')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise PoseError('%s: another train.py is using this run folder' % run_dir)
    return handle


def load_run(model_path, cfg_override=None):
    """Config and statistics of the run that holds `model_path`.

    Returns (cfg, stats). `cfg_override` (a list of YAML paths) is applied over the run's config.
    A seed checkpoint without our hyperParams.yaml and meanstd.npz beside it gets the default
    config (the seed's values) and stats None: the caller recomputes them from the training
    subjects, as the seed did.
    """
    if not os.path.isfile(model_path):
        raise PoseError('--model %s: no such file' % model_path)
    verify_checksum(model_path)
    run_dir = os.path.dirname(os.path.abspath(model_path))
    if is_seed_checkpoint(model_path) and not os.path.isfile(os.path.join(run_dir, STATS_FILE)):
        return load_configs(cfg_override or []), None
    return read_run(run_dir, cfg_override or [], '--model %s' % model_path)
