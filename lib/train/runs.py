"""A training run's folder and its files: one writer and one reader each.

A training run lives in ROOT/output/model/<YYYY-mm-dd_HH-MM-SS>_<name>/ with
  hyperParams.yaml                    the resolved config it ran with,
  meanstd.npz                         the normalisation statistics of its training set,
  Checkpoint_epoch<N>.params          at epoch 1 and every end_epoch // checkpoints epochs,
  Model_epoch<end>.params             the final model,
  checksums.json                      the SHA-256 of every file above (and of resume.npz),
                                      checked whenever one is read back,
  recordings.json                     the recordings (and frames) trained and tested on, and
                                      those left out,
  resume.npz                          the checkpoint of an unfinished run (lib.train.resume),
  curves.csv, curves.png              the training curves, rewritten every epoch,
  .lock                               held while a train.py uses the folder,
and its log in ROOT/output/train-log/<same name>.log. test.py writes its results beside the
model it evaluates (lib.eval.report.results_stem).
"""
import fcntl
import hashlib
import os
import re
import time

import mxnet as mx
import numpy as np

from lib.codec import load_stats
from lib.core.errors import PoseError, error_reason
from lib.core.files import atomic_path, read_json, write_json
from lib.core.settings import load_config, load_configs, read_config
from lib.data.arrays import id_names
from lib.model.seed_checkpoint import is_seed_checkpoint, load_seed_checkpoint

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


FINAL_PREFIX, CHECKPOINT_PREFIX = 'Model_epoch', 'Checkpoint_epoch'


def checkpoint_name(epoch, final):
    return '%s%d.params' % (FINAL_PREFIX if final else CHECKPOINT_PREFIX, epoch)


def final_model_names(run_dir):
    """The final models (checkpoint_name(N, final=True)) in a run folder, by epoch."""
    found = [re.fullmatch(FINAL_PREFIX + r'(\d+)\.params', f) for f in os.listdir(run_dir)]
    return [m.group(0) for m in sorted(filter(None, found), key=lambda m: int(m.group(1)))]


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
    """Load a params file (ours, float32 or float16, or a seed checkpoint) into net, after
    checking its recorded checksum; a damaged file or one of another network shape is a
    PoseError."""
    verify_checksum(path)
    if is_seed_checkpoint(path):
        load_seed_checkpoint(net, path, contexts)
    else:
        try:
            # A model stored in float16 (the shipped one) is cast to the network's float32.
            net.load_parameters(path, ctx=contexts, cast_dtype=True, dtype_source='current')
        except (AssertionError, mx.base.MXNetError, ValueError) as e:
            raise PoseError('%s: does not fit this network (%s)' % (path, error_reason(e)))
    check_finite(net, contexts, path)


def check_finite(net, contexts, where):
    """A PoseError naming `where` when a loaded parameter of net holds NaN or infinity."""
    for name, param in net.collect_params().items():
        if not np.all(np.isfinite(param.data(contexts[0]).asnumpy())):
            raise PoseError('%s: %s holds NaN or infinity (a damaged file)' % (where, name))


def seed_stats_path(model_path):
    """<model without .params>_meanstd.npz: the statistics test.py recomputes for a seed
    checkpoint that has none beside it."""
    stem = model_path[:-len('.params')] if model_path.endswith('.params') else model_path
    return stem + '_meanstd.npz'


RECORDINGS_FILE = 'recordings.json'


def recordings_record(data):
    """The recordings a run used and left out (lib.data.arrays data), and its frames (all views)
    per subject (performer) and action (motion class): for recordings.json."""
    used = sorted({tuple(int(v) for v in r) for r in data['ids'][:, :3]})
    names = {tuple(int(v) for v in r): str(n)
             for r, n in zip(data.get('rec_ids', []), data.get('rec_names', []))}
    subjects, actions = id_names(data)
    pairs, counts = np.unique(data['ids'][:, :2], axis=0, return_counts=True)
    frames_by = {}
    for (s, a), n in zip(pairs.tolist(), counts.tolist()):
        frames_by.setdefault(subjects.get(s, str(s)), {})[actions.get(a, str(a))] = n
    return {'recordings': [{'subject': subjects.get(s, s), 'action': actions.get(a, a),
                            'subaction': u, 'name': names.get((s, a, u), '')}
                           for s, a, u in used],
            'frames': int(len(data['ids'])), 'frames_by_subject_and_action': frames_by,
            'left_out': data.get('left_out', [])}


def log_path(root, run_dir):
    """ROOT/output/train-log/<run folder name>.log"""
    return os.path.join(os.path.abspath(root), 'output', 'train-log',
                        os.path.basename(run_dir) + '.log')


def read_run(run_dir, cfg_override, where, defaults=None):
    """The config (with the YAML files of cfg_override applied over it) and the statistics kept
    in a run folder; `where` (the option that named the folder) starts the error message when
    one is missing. The run's hyperParams.yaml is read over `defaults` (config.default_config()
    from the commands, so that a run saved before a key existed gets its default), or, without
    them, taken as the complete config it is."""
    cfg_path = os.path.join(run_dir, CONFIG_FILE)
    stats_path = os.path.join(run_dir, STATS_FILE)
    for p in (cfg_path, stats_path):
        if not os.path.isfile(p):
            raise PoseError('%s: %s is missing (a run folder of train.py holds %s and %s)'
                            % (where, p, CONFIG_FILE, STATS_FILE))
        verify_checksum(p)
    base = load_config(cfg_path, defaults) if defaults is not None else read_config(cfg_path)
    cfg = load_configs(cfg_override, base)
    return cfg, load_stats(stats_path)


def load_run_dir(run_dir, defaults=None):
    """Config and statistics of a run folder (for --resume)."""
    if not os.path.isdir(run_dir):
        raise PoseError('--resume %s: no such run folder' % run_dir)
    return read_run(run_dir, [], '--resume %s' % run_dir, defaults)


RUN_FILES = (CONFIG_FILE, STATS_FILE, CHECKSUM_FILE, RECORDINGS_FILE, 'resume.npz', 'curves.csv',
             'curves.png', '.lock')


def refuse_run_file(option, path):
    """A PoseError when an output `path` would replace a file of a run folder (its config,
    statistics, checksums, recordings, checkpoint, curves, lock or any .params): results never
    overwrite what a run holds, its integrity record least of all."""
    folder = os.path.dirname(os.path.abspath(path))
    is_run = any(os.path.isfile(os.path.join(folder, n)) for n in (CHECKSUM_FILE, CONFIG_FILE))
    name = os.path.basename(path)
    if is_run and (name in RUN_FILES or name.endswith('.params')):
        raise PoseError('%s %s: is a file of the run in %s; write elsewhere' % (option, path, folder))


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


def load_run(model_path, cfg_override=None, defaults=None):
    """Config and statistics of the run that holds `model_path`.

    Returns (cfg, stats). `cfg_override` (a list of YAML paths) is applied over the run's config.
    A seed checkpoint without our hyperParams.yaml and meanstd.npz beside it gets `defaults`
    (config.default_config(): the seed's values) and stats None: the caller recomputes them
    from the training subjects, as the seed did. Run folders: see read_run.
    """
    if not os.path.isfile(model_path):
        raise PoseError('--model %s: no such file' % model_path)
    verify_checksum(model_path)
    run_dir = os.path.dirname(os.path.abspath(model_path))
    if is_seed_checkpoint(model_path) and not os.path.isfile(os.path.join(run_dir, STATS_FILE)):
        if defaults is None:
            raise PoseError('%s: a seed checkpoint holds no config; pass the defaults '
                            '(config.default_config())' % model_path)
        cfg = load_configs(cfg_override or [], defaults)
        cfg.NETWORK.input_space = 'pixel'         # the seed's network takes the camera's pixels
        return cfg, None
    sums = read_json(os.path.join(run_dir, CHECKSUM_FILE))
    if sums is not None and os.path.basename(model_path) not in sums:
        # The statistics beside it belong to the network this folder's run trained; a file of
        # another run (copied in, renamed) would be lifted with the wrong ones.
        raise PoseError('--model %s: not written by the run of this folder (%s has no record of '
                        'it), so its statistics %s may belong to another network; use the file '
                        'in the folder of the run that trained it'
                        % (model_path, CHECKSUM_FILE, STATS_FILE))
    return read_run(run_dir, cfg_override or [], '--model %s' % model_path, defaults)
