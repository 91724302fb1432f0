"""One checkpoint a completed epoch, which --resume reads: <run>/resume.npz.

It holds everything the rest of the run needs, in one file written atomically (a temporary
name, then a rename, its SHA-256 then recorded in checksums.json), so that a kill at any moment
leaves either the previous complete checkpoint or the new one:
  params     the network's parameters (the bytes of Block.save_parameters)
  optimizer  the Trainer's state, Adam's moments included (the bytes of Trainer.save_states)
  state      JSON: epoch, step, curves, elapsed seconds, planned epochs, devices, CPU threads,
             the dataset's path (compared with --dataset, never opened), the resolved config,
             and the SHA-256 of the run's config and statistics files (by those two names only)
The random state needs no saving: every epoch's randomness is drawn from (seed, epoch).
A run has no other resume file, and nothing a checkpoint says is a path that is opened: the
log's is worked out from the run folder (lib.train.runs.log_path), and the checksums name the
run's two files by their fixed names. A 'log_file' that checkpoints of earlier versions hold is
not read.
"""
import json
import os
import tempfile

import numpy as np

from lib.core.errors import PoseError, error_reason
from lib.core.files import atomic_path
from lib.core.settings import to_plain
from lib.model.run_files import (CONFIG_FILE, RESUME_FILE, STATS_FILE, check_finite,
                                 file_sha256, final_model_names, verify_checksum)
from lib.train.runs import forget_checksums, record_checksum

FIELDS = {'epoch': int, 'step': int, 'curves': list, 'elapsed': (int, float), 'devices': int,
          'dataset': str, 'config': dict, 'files': dict}
# Fields of later versions, absent from the checkpoints of earlier ones.
OPTIONAL_FIELDS = {'planned_epochs': int}


def write_checkpoint_file(path, params, optimizer, state):
    """The file itself: params and optimizer bytes, state a JSON-able dict."""
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, params=np.frombuffer(params, np.uint8),
                 optimizer=np.frombuffer(optimizer, np.uint8), state=np.array(json.dumps(state)))


def save_checkpoint(net, trainer, run_dir, cfg, progress):
    """Write resume.npz after an epoch: `progress` a dict of the FIELDS epoch .. dataset (and
    threads); the config and the files' checksums are added here."""
    with tempfile.TemporaryDirectory() as scratch:
        net.save_parameters(os.path.join(scratch, 'p'))
        trainer.save_states(os.path.join(scratch, 'o'))
        params, optimizer = (open(os.path.join(scratch, n), 'rb').read() for n in ('p', 'o'))
    files = {name: file_sha256(os.path.join(run_dir, name)) for name in (CONFIG_FILE, STATS_FILE)}
    state = dict(progress, config=to_plain(cfg), files=files)
    path = os.path.join(run_dir, RESUME_FILE)
    write_checkpoint_file(path, params, optimizer, state)
    record_checksum(path)


def clear_checkpoint(run_dir):
    """Remove resume.npz once the final model is written."""
    path = os.path.join(run_dir, RESUME_FILE)
    if os.path.exists(path):
        os.remove(path)
    forget_checksums(run_dir, [RESUME_FILE])


def read_checkpoint(run_dir, cfg, num_devices, dataset, defaults=None):
    """The checkpoint of an unfinished run, checked: its checksum, every field's type, the
    epoch against the run's length, the config and files against the run's, the devices and
    the dataset against this call's. Returns the state dict with 'params' and 'optimizer' bytes."""
    path = os.path.join(run_dir, RESUME_FILE)
    if not os.path.isfile(path):
        finals = final_model_names(run_dir)
        if finals:
            raise PoseError('--resume %s: the run already finished (%s exists)'
                            % (run_dir, os.path.join(run_dir, finals[-1])))
        raise PoseError('--resume %s: no %s: no epoch of this run was saved (it stopped or failed '
                        'before its first epoch ended, or an earlier version wrote it); start it '
                        'again' % (run_dir, RESUME_FILE))
    verify_checksum(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            state = json.loads(str(z['state']))
            params, optimizer = z['params'].tobytes(), z['optimizer'].tobytes()
    except Exception as e:         # a damaged zip or JSON raises several kinds
        raise PoseError('%s: not a readable checkpoint (%s)' % (path, error_reason(e)))
    _check_fields(path, state)
    _check_against_run(path, state, run_dir, cfg, num_devices, dataset, defaults)
    return dict(state, params=params, optimizer=optimizer)


def _check_fields(path, state):
    if not isinstance(state, dict):
        raise PoseError('%s: expected a JSON object as its state' % path)
    for key, kind in list(FIELDS.items()) + list(OPTIONAL_FIELDS.items()):
        if key not in state:
            if key in OPTIONAL_FIELDS:
                continue
            raise PoseError('%s: field %s is missing' % (path, key))
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise PoseError('%s: field %s is %r, expected %s' % (
                path, key, state[key], getattr(kind, '__name__', 'a number')))


def _as_json(cfg):
    """`cfg` as it reads back from JSON (tuples become lists), to compare with a saved one."""
    return json.loads(json.dumps(to_plain(cfg)))


def same_config(saved, current, defaults):
    """True when the plain config `saved` in a checkpoint is `current`, a key of a later version
    missing from `saved` counting as equal when `current` holds its default (so that a run of an
    earlier version resumes); `defaults` None: every key must be in both."""
    defaults = _as_json(defaults) if defaults is not None else {}
    for section, keys in current.items():
        for key, value in keys.items():
            if key in saved.get(section, {}):
                if saved[section][key] != value:
                    return False
            elif value != defaults.get(section, {}).get(key, object()):
                return False
    return all(key in current.get(section, {}) for section, keys in saved.items() for key in keys)


def _check_against_run(path, state, run_dir, cfg, num_devices, dataset, defaults):
    if not 1 <= state['epoch'] < cfg.TRAIN.end_epoch or state['step'] < 0:
        raise PoseError('%s: epoch %d / step %d out of range (the run has %d epochs)'
                        % (path, state['epoch'], state['step'], cfg.TRAIN.end_epoch))
    planned = state.get('planned_epochs', cfg.TRAIN.end_epoch)
    if not state['epoch'] < planned <= cfg.TRAIN.end_epoch:
        raise PoseError('%s: %d planned epochs, expected %d..%d (after epoch %d, TRAIN.end_epoch)'
                        % (path, planned, state['epoch'] + 1, cfg.TRAIN.end_epoch,
                           state['epoch']))
    if not same_config(state['config'], _as_json(cfg), defaults):
        raise PoseError('%s: the run\'s %s differs from the config this checkpoint was trained '
                        'with' % (path, CONFIG_FILE))
    for name, digest in state['files'].items():
        if name not in (CONFIG_FILE, STATS_FILE) or \
                file_sha256(os.path.join(run_dir, name)) != digest:
            raise PoseError('%s: the run\'s %s is not the one this checkpoint was trained with'
                            % (path, name))
    if os.path.abspath(dataset) != state['dataset']:
        raise PoseError('--dataset %s: the run trained on %s; resume it on the same data'
                        % (dataset, state['dataset']))
    if state['devices'] != num_devices:
        raise PoseError('--gpu: the run trained on %d device(s) (batch %d per device); resume it '
                        'on as many' % (state['devices'], cfg.TRAIN.batchsize))


def load_checkpoint_weights(net, trainer, state, contexts):
    """Parameters and optimiser state of a read_checkpoint state into net and trainer."""
    with tempfile.TemporaryDirectory() as scratch:
        for key in ('params', 'optimizer'):
            with open(os.path.join(scratch, key), 'wb') as f:
                f.write(state[key])
        try:
            net.load_parameters(os.path.join(scratch, 'params'), ctx=contexts)
        except Exception as e:      # MXNet raises several kinds on a damaged or foreign file
            raise PoseError('%s: parameters that do not fit this network (%s)'
                            % (RESUME_FILE, error_reason(e)))
        check_finite(net, contexts, RESUME_FILE)
        try:
            trainer.load_states(os.path.join(scratch, 'optimizer'))
        except Exception as e:
            raise PoseError('%s: not a readable optimiser state (%s)'
                            % (RESUME_FILE, error_reason(e)))
