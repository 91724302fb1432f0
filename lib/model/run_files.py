"""A run folder's files read back, by training (--resume) and by everything that uses a trained
model (test.py, infer.py, export.py, the Lifter): their names, the checksums recorded when they
were written, the parameters, the config and the statistics. lib.train.runs writes them.

A run folder (lib.train.runs) holds hyperParams.yaml (the resolved config), meanstd.npz (the
normalisation statistics), Checkpoint_epoch<N>.params and Model_epoch<N>.params,
checksums.json (the SHA-256 of each), recordings.json, resume.npz, curves.csv and curves.png.
"""
import hashlib
import os
import re

import mxnet as mx
import numpy as np

from lib.codec import load_stats
from lib.core.errors import PoseError, error_reason
from lib.core.files import read_json
from lib.core.settings import load_config, load_configs, read_config
from lib.model.seed_checkpoint import is_seed_checkpoint, load_seed_checkpoint

CONFIG_FILE = 'hyperParams.yaml'
STATS_FILE = 'meanstd.npz'
CHECKSUM_FILE = 'checksums.json'
RECORDINGS_FILE = 'recordings.json'
RESUME_FILE = 'resume.npz'

FINAL_PREFIX, CHECKPOINT_PREFIX = 'Model_epoch', 'Checkpoint_epoch'


def checkpoint_name(epoch, final):
    return '%s%d.params' % (FINAL_PREFIX if final else CHECKPOINT_PREFIX, epoch)


def final_model_names(run_dir):
    """The final models (checkpoint_name(N, final=True)) in a run folder, by epoch."""
    found = [re.fullmatch(FINAL_PREFIX + r'(\d+)\.params', f) for f in os.listdir(run_dir)]
    return [m.group(0) for m in sorted(filter(None, found), key=lambda m: int(m.group(1)))]


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


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


RUN_FILES = (CONFIG_FILE, STATS_FILE, CHECKSUM_FILE, RECORDINGS_FILE, RESUME_FILE, 'curves.csv',
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
