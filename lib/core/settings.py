"""Config files: YAML over a config of every key, checked key by key before anything runs.

A config is an EasyDict in sections (the defaults are config.py's default_config(); a run's
resolved config is its hyperParams.yaml). load_config applies a YAML file over one: an unknown
key, a value of the wrong type (RANGES: or out of its range; CHOICES: or not one of its
values) is a PoseError naming the file and the key. dump_config writes a config back.
"""
import copy
import math
import os
import reprlib

import yaml
from easydict import EasyDict

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path

SECTIONS = ('NETWORK', 'TRAIN', 'DATASET', 'TEST')
# A config is a few dozen keys two levels deep: anything far beyond is not a config (and an
# alias bomb or a deeply nested file would exhaust memory or the stack before it was refused).
MAX_BYTES, MAX_DEPTH, MAX_ALIASES = 1 << 20, 20, 20


class _Refused(yaml.YAMLError):
    """Valid YAML that no config can be (a duplicate key, an alias bomb, deep nesting)."""


class _CheckedLoader(yaml.SafeLoader):
    """Safe loading that also refuses a key given twice in one mapping (the later would silently
    win), more than MAX_ALIASES aliases and nesting deeper than MAX_DEPTH."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth, self._aliases = 0, 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused('more than %d aliases (an alias bomb?)' % MAX_ALIASES)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused('nested deeper than %d levels' % MAX_DEPTH)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == 'tag:yaml.org,2002:merge':
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _Refused('line %d: key %s given twice (first on line %d)'
                               % (line, key, seen[key]))
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path):
    """The content of a YAML config file, read with _CheckedLoader; a PoseError naming the file
    for anything unreadable, invalid, too large, too deep, aliased too often or duplicated."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise PoseError('%s: %d bytes, more than a config can be (at most %d)'
                            % (path, os.path.getsize(path), MAX_BYTES))
        with open(path) as f:
            return yaml.load(f, Loader=_CheckedLoader)
    except OSError as e:
        raise PoseError('%s: cannot read config (%s)' % (path, e.strerror))
    except UnicodeDecodeError:
        raise PoseError('%s: not a text file' % path)
    except _Refused as e:
        raise PoseError('%s: refused (%s)' % (path, e))
    except yaml.YAMLError as e:
        raise PoseError('%s: not valid YAML (%s)' % (path, str(e).splitlines()[0]))


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


CHOICES = {'NETWORK.init': ('msraprelu', 'kaiming_truncnormal'),
           'NETWORK.input_space': ('pixel', 'camera_free'), 'TRAIN.optimizer': ('adam',),
           'TRAIN.schedule': ('exponential', 'cosine'),
           'DATASET.source': h36m.SOURCES + (h36m.MOCAP,),
           'DATASET.mocap_cameras': h36m.MOCAP_CAMERAS,
           'DATASET.mocap_bodies': h36m.MOCAP_BODIES,
           'DATASET.mocap_test_placement': h36m.MOCAP_PLACEMENTS}
# The type of the items of a list whose default is empty.
LIST_ITEMS = {'DATASET.mocap_test': str, 'DATASET.mocap_test_sources': str}
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
        kinds = {type(v) for v in default} | {LIST_ITEMS.get(name, type(None))}
        ok = isinstance(value, list) and all(type(v) in kinds for v in value)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise PoseError('config key %s: expected %s like %r, got %s'
                        % (name, type(default).__name__, default, reprlib.repr(value)))
    if name in CHOICES and value not in CHOICES[name]:
        raise PoseError('config key %s: expected one of %s, got %s'
                        % (name, ', '.join(CHOICES[name]), reprlib.repr(value)))
    return value


def _finite(lo, hi, lo_open=False, hi_open=False):
    """A check that a number lies in [lo, hi] (an open end excludes it) and is finite."""
    def check(v):
        return (math.isfinite(v) and (v > lo if lo_open else v >= lo)
                and (v < hi if hi_open else v <= hi))
    text = '%s%s, %s%s' % ('(' if lo_open else '[', lo, hi, ')' if hi_open else ']')
    return check, 'a finite number in ' + text


_SUBJECT_IDS = h36m.SUBJECTS
# The range of every number and list: a value out of range is an error before anything runs.
RANGES = {
    'NETWORK.linear_size': _finite(1, 65536), 'NETWORK.nResBlock': _finite(0, 64),
    'NETWORK.dropout': _finite(0, 1, hi_open=True), 'NETWORK.bn_momentum': _finite(0, 1, hi_open=True),
    'NETWORK.bn_epsilon': _finite(0, 1, lo_open=True),
    'TRAIN.batchsize': _finite(1, 1 << 20), 'TRAIN.lr': _finite(0, 10, lo_open=True),
    'TRAIN.decay_rate': _finite(0, 1, lo_open=True), 'TRAIN.decay_steps': _finite(1, 1e12),
    'TRAIN.end_epoch': _finite(1, 100000), 'TRAIN.checkpoints': _finite(1, 100000),
    'TRAIN.lr_floor': _finite(0, 1), 'TRAIN.warmup_steps': _finite(0, 1e9),
    'TRAIN.bn_momentum_start': _finite(0, 1, hi_open=True),
    'TRAIN.frame_stride': _finite(1, 1000), 'TRAIN.time_budget': _finite(0, 1e6),
    'TRAIN.seed': _finite(0, 2 ** 32 - 1), 'DATASET.sigma': _finite(0, 1000),
    'TEST.batchsize': _finite(1, 1 << 20), 'TEST.sigma': _finite(0, 1000),
    'TEST.noise_seed': _finite(0, 2 ** 32 - 1), 'TEST.every': _finite(1, 10000),
    'DATASET.mocap_views': _finite(1, 64), 'DATASET.mocap_joint_bias': _finite(0, 0.5),
    'DATASET.mocap_test': (lambda v: all(s.strip() == s and s for s in v) and len(set(v)) == len(v),
                           'distinct performer names (non-empty, no surrounding spaces)'),
    'DATASET.train_subjects': (lambda v: bool(v) and all(s in _SUBJECT_IDS for s in v)
                               and len(set(v)) == len(v),
                               'a non-empty list of distinct Human3.6M subjects from %s'
                               % list(_SUBJECT_IDS)),
}
RANGES['DATASET.test_subjects'] = RANGES['DATASET.train_subjects']
RANGES['DATASET.mocap_test_sources'] = (RANGES['DATASET.mocap_test'][0],
                                        'distinct source names (non-empty, no surrounding spaces)')


def check_ranges(cfg):
    """Raise PoseError naming the first key whose value is out of its range (RANGES). A key
    that `cfg` does not hold (a run saved before the key existed) has nothing to check."""
    for name, (check, expected) in RANGES.items():
        section, key = name.split('.')
        if key not in cfg[section]:
            continue
        if not check(cfg[section][key]):
            raise PoseError('config key %s: expected %s, got %s'
                            % (name, expected, reprlib.repr(cfg[section][key])))


def merge_config(cfg, update):
    """A copy of `cfg` with the nested dict `update` applied (keys, types and ranges checked)."""
    merged = copy.deepcopy(cfg)
    _check_and_merge(merged, update, '')
    check_ranges(merged)
    return merged


def load_config(path, base):
    """`base` (an EasyDict of every key) overridden by the YAML file at `path` (safe loading)."""
    update = read_yaml(path)
    if update is None:
        return copy.deepcopy(base)
    try:
        return merge_config(base, update)
    except PoseError as e:
        raise PoseError('%s: %s' % (path, e))


def load_configs(paths, base):
    """`base` with each YAML file of `paths` applied in order."""
    cfg = base
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


def read_config(path):
    """A complete config saved by dump_config (a run's hyperParams.yaml), taken as it is: its
    own keys are the schema that later YAML files are checked against; ranges are checked."""
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not all(isinstance(raw.get(s), dict) for s in SECTIONS):
        raise PoseError('%s: expected a config with sections %s' % (path, ', '.join(SECTIONS)))
    cfg = EasyDict(raw)
    try:
        check_ranges(cfg)
    except PoseError as e:
        raise PoseError('%s: %s' % (path, e))
    return cfg
