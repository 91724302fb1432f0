"""Human3.6M's recordings by name, shared by every reader of its files: action names and their
aliases, the numbering of a subject's two recordings of an action, the files that are not
recordings, and the checks of a pose array read from a file.

Action names: 'Directions', 'Directions 1', ...; 'TakingPhoto' and 'WalkingDog' are the same
actions as 'Photo' and 'WalkDog'. Of a subject's two recordings of an action, the name without a
number (or with the lower number) is subaction 1, the other subaction 2. Files whose names are
not recordings (a release's '_ALL' files) are skipped with one log line.
"""
import logging
import os
import re

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError

log = logging.getLogger(__name__)

ALIASES = {'TakingPhoto': 'Photo', 'WalkingDog': 'WalkDog'}
ACTION_BY_NAME = {name: a for a, name in h36m.ACTIONS.items()}


def parse_action_name(name):
    """'Directions 1' -> (2, 1) = (action id, number after the name, 0 when none)."""
    m = re.fullmatch(r'\s*([A-Za-z]+)\s*(\d*)\s*', name) if isinstance(name, str) else None
    base = ALIASES.get(m.group(1), m.group(1)) if m else None
    if base not in ACTION_BY_NAME:
        raise ValueError(name)
    return ACTION_BY_NAME[base], int(m.group(2) or 0)


def number_subactions(names, where):
    """{recording name: (action id, subaction 1 or 2)} for one subject's recordings."""
    by_action = {}
    for name in names:
        try:
            action, number = parse_action_name(name)
        except ValueError:
            raise PoseError('%s: %r is not a Human3.6M action name' % (where, name))
        by_action.setdefault(action, []).append((number, name))
    out = {}
    for action, items in by_action.items():
        if len(items) > 2:
            raise PoseError('%s: %d recordings of action %s (expected at most 2): %s'
                            % (where, len(items), h36m.ACTIONS[action], [n for _, n in items]))
        for sub, (_, name) in enumerate(sorted(items), start=1):
            out[name] = (action, sub)
    return out


def subject_key(subject):
    return 'S%d' % subject


def subject_recordings(positions, subject, path):
    """{recording name: value} of `subject` in a VideoPose3D dict {'S1': {name: ...}} read
    from `path`; a PoseError when the subject is missing or not a dict of recordings."""
    if subject_key(subject) not in positions:
        raise PoseError('%s: subject %s missing' % (path, subject_key(subject)))
    recordings = positions[subject_key(subject)]
    if not isinstance(recordings, dict):
        raise PoseError('%s: %s is a %s, expected a dict of recordings'
                        % (path, subject_key(subject), type(recordings).__name__))
    return recordings


def recordings_only(files, where, recording=lambda name: name):
    """{name: file} without the files whose names are not Human3.6M recordings (a release
    folder can hold others, such as '_ALL' files), which are skipped with one log line.
    `recording` takes a name to the recording name in it."""
    kept, skipped = {}, []
    for name, f in files.items():
        try:
            parse_action_name(recording(name).replace('_', ' '))
            kept[name] = f
        except ValueError:
            skipped.append(os.path.basename(f))
    if skipped:
        log.info('%s: skipped %d file(s) that are not Human3.6M recordings: %s',
                 where, len(skipped), ', '.join(skipped[:5]) + (' ...' if len(skipped) > 5 else ''))
    return kept


def pose_array(value, where, shape):
    """`value` as a finite float64 array (N, *shape); a PoseError naming `where` and what is
    wrong (not numbers, the shape, NaN or infinity) otherwise."""
    if isinstance(value, (str, bytes, dict)):
        raise PoseError('%s: a %s, expected an array (N, %s)'
                        % (where, type(value).__name__, ', '.join(map(str, shape))))
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise PoseError('%s: not an array of numbers' % where)
    if array.ndim != 1 + len(shape) or array.shape[1:] != shape:
        raise PoseError('%s: shape %s, expected (N, %s)'
                        % (where, array.shape, ', '.join(map(str, shape))))
    if not np.all(np.isfinite(array)):
        raise PoseError('%s: NaN or infinity among the poses' % where)
    return array
