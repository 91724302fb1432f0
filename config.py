"""Hyperparameters: an easydict in sections, overridable from a YAML file.

`default_config()` builds the defaults: the paper's network and schedule with the seed's values
where the seed and the original code differ (doc/conventions.md, doc/fidelity.md). `load_config(path)` applies a YAML file over them:
unknown keys and values of the wrong type are errors that name the key. `dump_config` writes
the resolved config back to YAML; every run saves one as hyperParams.yaml. Nothing here is
parsed at import time.
"""
import copy
import math

import yaml
from easydict import EasyDict as edict

from lib.errors import PoseError
from lib.files import atomic_path
from lib.sources import SOURCES


def default_config():
    """The defaults, a fresh EasyDict each call."""
    cfg = edict()

    # Network: the residual MLP of Martinez et al. (2017).
    cfg.NETWORK = edict()
    cfg.NETWORK.linear_size = 1024       # width of every hidden Linear layer
    cfg.NETWORK.nResBlock = 2            # residual blocks, each two Linear-BN-ReLU-Dropout
    cfg.NETWORK.dropout = 0.5            # drop rate (Gluon's convention; TF code: keep_prob 0.5)
    cfg.NETWORK.bn_momentum = 0.9        # BatchNorm running-average momentum (Gluon default, seed; TF code 0.99)
    cfg.NETWORK.bn_epsilon = 1e-5        # BatchNorm epsilon (Gluon default, seed; TF code 1e-3)
    cfg.NETWORK.init = 'msraprelu'       # weight init: 'msraprelu' (seed) or 'kaiming_truncnormal' (TF code, biases too)
    cfg.NETWORK.max_norm = False         # scale each weight matrix to norm <= 1 in the forward pass (TF code: True)
    cfg.NETWORK.hybrid = True            # hybridize the network (static graph) for speed

    # Training.
    cfg.TRAIN = edict()
    cfg.TRAIN.batchsize = 64             # samples per device per step (seed: per GPU)
    cfg.TRAIN.optimizer = 'adam'         # only Adam, as in the paper and the seed
    cfg.TRAIN.lr = 0.001                 # initial learning rate
    cfg.TRAIN.decay_rate = 0.96          # learning-rate decay factor ...
    cfg.TRAIN.decay_steps = 100000       # ... applied every this many steps
    cfg.TRAIN.decay_staircase = True     # True: step-wise decay (seed); False: continuous (TF code)
    cfg.TRAIN.end_epoch = 200            # epochs to train
    cfg.TRAIN.checkpoints = 5            # checkpoints per run: every end_epoch/checkpoints epochs
    cfg.TRAIN.shuffle = True             # reshuffle the training set every epoch
    cfg.TRAIN.flip = False               # mirror a random half of each batch (neither paper nor seed)
    cfg.TRAIN.seed = 0                   # random seed of numpy and MXNet (init, shuffling, dropout)

    # Dataset.
    cfg.DATASET = edict()
    cfg.DATASET.source = 'annot'         # files under --dataset: 'annot' (seed), 'videopose3d', 'cdf' or 'h5' (README)
    cfg.DATASET.cameras = ''             # cameras of the sources without them: a .json (VideoPose3D's) or the original's cameras.h5 ('' = data/h36m_cameras.json)
    cfg.DATASET.train_2d = 'gt'          # 2D input in training: 'gt' (projected), 'sh' or 'sh_ft' (the original's Stacked Hourglass folders) or NAME of data_2d_h36m_NAME.npz
    cfg.DATASET.test_2d = 'gt'           # 2D input in testing, likewise
    cfg.DATASET.train_subjects = [1, 5, 6, 7, 8]   # Human3.6M subjects to train on
    cfg.DATASET.test_subjects = [9, 11]            # subjects to evaluate on
    cfg.DATASET.sigma = 0.0              # std (pixels) of Gaussian noise added to the 2D input in training
    cfg.DATASET.distortion = False       # apply radial/tangential lens distortion when projecting (TF code: yes; seed: no)
    cfg.DATASET.cache = True             # keep parsed arrays in ROOT/output/cache as .npz

    # Testing.
    cfg.TEST = edict()
    cfg.TEST.batchsize = 1024            # frames per forward pass; does not change the results
    cfg.TEST.sigma = 0.0                 # std (pixels) of Gaussian noise on the 2D input at test time
    cfg.TEST.noise_seed = 0              # seed of that noise, drawn once: the same numbers every time
    cfg.TEST.flip = False                # average the predictions of each input and its mirror image
    cfg.TEST.every = 1                   # evaluate every N-th frame of each recording (1: all, the paper's protocol)
    return cfg


def _check_and_merge(base, update, where):
    """Merge dict `update` into EasyDict `base` in place, checking keys and types."""
    if not isinstance(update, dict):
        raise PoseError('%s: expected a mapping of keys, got %s' % (where, type(update).__name__))
    for key, value in update.items():
        name = '%s.%s' % (where, key) if where else str(key)
        if name in RETIRED:
            if value != RETIRED[name]:
                raise PoseError('config key %s: the network always takes %r (16 input and 16 '
                                'output joints); it is not a setting' % (name, RETIRED[name]))
            continue
        if key not in base:
            raise PoseError('config key %s is unknown (known here: %s)'
                            % (name, ', '.join(sorted(base))))
        default = base[key]
        if isinstance(default, dict):
            _check_and_merge(default, value, name)
            continue
        base[key] = _checked_value(name, default, value)


CHOICES = {'NETWORK.init': ('msraprelu', 'kaiming_truncnormal'), 'TRAIN.optimizer': ('adam',),
           'DATASET.source': SOURCES}
# Keys of earlier versions that are no longer settings: accepted with the one value they could
# have, so that old run folders still load.
RETIRED = {'NETWORK.nJoints': 16}


def _checked_value(name, default, value):
    """`value` if it has the type of `default` (an int is accepted for a float)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        kinds = {type(v) for v in default}
        ok = isinstance(value, list) and all(type(v) in kinds for v in value)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise PoseError('config key %s: expected %s like %r, got %r'
                        % (name, type(default).__name__, default, value))
    if name in CHOICES and value not in CHOICES[name]:
        raise PoseError('config key %s: expected one of %s, got %r'
                        % (name, ', '.join(CHOICES[name]), value))
    return value


def _finite(lo, hi, lo_open=False, hi_open=False):
    """A check that a number lies in [lo, hi] (an open end excludes it) and is finite."""
    def check(v):
        return (math.isfinite(v) and (v > lo if lo_open else v >= lo)
                and (v < hi if hi_open else v <= hi))
    text = '%s%s, %s%s' % ('(' if lo_open else '[', lo, hi, ')' if hi_open else ']')
    return check, 'a finite number in ' + text


_SUBJECT_IDS = (1, 5, 6, 7, 8, 9, 11)
# The range of every number and list: a value out of range is an error before anything runs.
RANGES = {
    'NETWORK.linear_size': _finite(1, 65536), 'NETWORK.nResBlock': _finite(0, 64),
    'NETWORK.dropout': _finite(0, 1, hi_open=True), 'NETWORK.bn_momentum': _finite(0, 1, hi_open=True),
    'NETWORK.bn_epsilon': _finite(0, 1, lo_open=True),
    'TRAIN.batchsize': _finite(1, 1 << 20), 'TRAIN.lr': _finite(0, 10, lo_open=True),
    'TRAIN.decay_rate': _finite(0, 1, lo_open=True), 'TRAIN.decay_steps': _finite(1, 1e12),
    'TRAIN.end_epoch': _finite(1, 100000), 'TRAIN.checkpoints': _finite(1, 100000),
    'TRAIN.seed': _finite(0, 2 ** 32 - 1), 'DATASET.sigma': _finite(0, 1000),
    'TEST.batchsize': _finite(1, 1 << 20), 'TEST.sigma': _finite(0, 1000),
    'TEST.noise_seed': _finite(0, 2 ** 32 - 1), 'TEST.every': _finite(1, 10000),
    'DATASET.train_subjects': (lambda v: bool(v) and all(s in _SUBJECT_IDS for s in v)
                               and len(set(v)) == len(v),
                               'a non-empty list of distinct Human3.6M subjects from %s'
                               % list(_SUBJECT_IDS)),
}
RANGES['DATASET.test_subjects'] = RANGES['DATASET.train_subjects']


def check_ranges(cfg):
    """Raise PoseError naming the first key whose value is out of its range (RANGES)."""
    for name, (check, expected) in RANGES.items():
        section, key = name.split('.')
        if not check(cfg[section][key]):
            raise PoseError('config key %s: expected %s, got %r'
                            % (name, expected, cfg[section][key]))


def merge_config(cfg, update):
    """A copy of `cfg` with the nested dict `update` applied (keys, types and ranges checked)."""
    merged = copy.deepcopy(cfg)
    _check_and_merge(merged, update, '')
    check_ranges(merged)
    return merged


def load_config(path, base=None):
    """Defaults (or `base`) overridden by the YAML file at `path` (safe loading)."""
    base = default_config() if base is None else base
    try:
        with open(path) as f:
            update = yaml.safe_load(f)
    except OSError as e:
        raise PoseError('%s: cannot read config (%s)' % (path, e.strerror))
    except yaml.YAMLError as e:
        raise PoseError('%s: not valid YAML (%s)' % (path, str(e).splitlines()[0]))
    if update is None:
        return copy.deepcopy(base)
    try:
        return merge_config(base, update)
    except PoseError as e:
        raise PoseError('%s: %s' % (path, e))


def load_configs(paths, base=None):
    """Defaults (or `base`) with each YAML file of `paths` applied in order."""
    cfg = default_config() if base is None else base
    for path in paths:
        cfg = load_config(path, cfg)
    return cfg


def to_plain(cfg):
    """EasyDict -> nested plain dicts and lists (for YAML and JSON)."""
    if isinstance(cfg, dict):
        return {k: to_plain(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return [to_plain(v) for v in cfg]
    return cfg


def dump_config(cfg, path):
    """Write the resolved config as YAML, atomically."""
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        yaml.safe_dump(to_plain(cfg), f, default_flow_style=False, sort_keys=False)
