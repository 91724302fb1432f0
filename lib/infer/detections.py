"""What every keypoint-file reader shares: the Detections they return, the order of frame
labels, and the checks of keypoint values and layouts (each failure a PoseError naming the
file and what was expected).
"""
import json
import logging
import re
import warnings

import numpy as np

from lib.core import layouts
from lib.core.errors import PoseError

log = logging.getLogger(__name__)

# Layouts recognisable by their keypoint count alone.
BY_COUNT = {16: 'sh16', 18: 'openpose18', 25: 'body25', 26: 'halpe26', 33: 'mediapipe',
            136: 'halpe136'}


class Detections:
    """layout, kind (see the module docstring) and frames: list of (label, people), people a
    list of dicts with 'points' (J, 3) float64, 'score' (float or None), 'track' (id or None)."""

    def __init__(self, layout, kind, frames, path):
        self.layout, self.kind, self.frames, self.path = layout, kind, frames, path


def natural_key(label):
    """Sort key that orders image ids as numbers and names by their numbers: 2 < 10, and
    'a2.jpg' < 'a10.jpg'."""
    if isinstance(label, (int, float)) and not isinstance(label, bool):
        return ((0, float(label)),)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r'(\d+)', str(label))
                 if p)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise PoseError('%s: cannot read (%s)' % (path, e.strerror))
    except (ValueError, UnicodeDecodeError) as e:
        raise PoseError('%s: not valid JSON (%s)' % (path, str(e).splitlines()[0][:100]))
    except RecursionError:
        raise PoseError('%s: JSON nested too deeply to be a keypoint file' % path)


def keypoint_array(values, where, columns=None):
    """Numbers -> (J, 3) float64: a flat list of 2 or 3 per joint (`columns` when known) or a
    list of [u, v] / [u, v, c]; confidence 1 when absent. NaN stays (a missing joint)."""
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise PoseError('%s: keypoints must be a list of numbers' % where)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')               # numpy's note on ragged lists
        try:
            arr = np.asarray(values)
        except (TypeError, ValueError):
            arr = np.asarray([None])
    if arr.dtype.kind not in 'iuf':
        raise PoseError('%s: keypoints must be numbers (not %s)'
                        % (where, 'booleans' if arr.dtype.kind == 'b' else 'text, lists of '
                           'uneven length or nulls'))
    arr = arr.astype(np.float64)
    if arr.ndim == 1:
        if columns is None or arr.size % columns:
            raise PoseError('%s: %d numbers is not a whole number of keypoints' % (where, arr.size))
        arr = arr.reshape(-1, columns)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.shape[0] == 0:
        raise PoseError('%s: expected keypoints of (u, v) or (u, v, confidence), got shape %s'
                        % (where, arr.shape))
    if arr.shape[1] == 2:
        arr = np.concatenate([arr, np.ones((len(arr), 1))], axis=1)
    if np.any(np.isinf(arr)) or np.any(np.abs(arr[np.isfinite(arr)]) > 1e7):
        raise PoseError('%s: keypoints out of range (infinite or beyond 1e7 pixels)' % where)
    return np.where(np.isnan(arr), 0.0, arr)     # NaN: not found, written as (0, 0, 0)


def keypoints_of(entry, key, where, columns, count):
    """The (J, 3) keypoints under `key` of one detection; J must equal `count` when known."""
    if not isinstance(entry, dict) or key not in entry:
        raise PoseError('%s: no "%s"' % (where, key))
    pts = keypoint_array(entry[key], where, columns)
    if count is not None and len(pts) != count:
        raise PoseError('%s: %d keypoints, the ones before had %d' % (where, len(pts), count))
    return pts


def number_or_none(value):
    """A score or an id: the number itself, or the first of a list; None for anything else."""
    value = value[0] if isinstance(value, list) and value else value
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def frame_label(value, where):
    """An image id or file name: a finite number or a string."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PoseError('%s: an image id must be a number or a string, got %r' % (where, value))
    if isinstance(value, float) and not np.isfinite(value):
        raise PoseError('%s: image id %r is not a finite number' % (where, value))
    return value


def check_layout(found, wanted, where, named):
    """The layout to use: the file's (`found`, named or by count) unless the user's (`wanted`)
    says otherwise; a contradiction of a named layout is an error."""
    if wanted in (None, 'auto'):
        return found
    if named and found != wanted:
        raise PoseError('%s: the file says its keypoints are %s, but --format %s was given'
                        % (where, found if isinstance(found, str) else 'named %s' % ', '.join(found[:4]) + ', ...', wanted))
    if len(layouts.layout_names(wanted)) != len(layouts.layout_names(found)):
        raise PoseError('%s: %d keypoints per person, but layout %s has %d'
                        % (where, len(layouts.layout_names(found)), wanted,
                           len(layouts.layout_names(wanted))))
    return wanted


def layout_by_count(count, wanted, where, default_17=None):
    """Layout of unnamed keypoints from their number; 17 needs `default_17` (the format's own
    convention) or the user's word."""
    if wanted not in (None, 'auto'):
        if len(layouts.layout_names(wanted)) != count:
            raise PoseError('%s: %d keypoints per person, but layout %s has %d'
                            % (where, count, wanted, len(layouts.layout_names(wanted))))
        return wanted
    if count == 17:
        if default_17:
            log.info('%s: 17 unnamed keypoints read as %s order, the format\'s own (--format h36m '
                     'if they are in Human3.6M order)', where, default_17)
            return default_17
        raise PoseError('%s: 17 keypoints without names could be COCO or Human3.6M order; say '
                        'which with --format coco or --format h36m' % where)
    if count not in BY_COUNT:
        raise PoseError('%s: %d keypoints per person is no layout this project knows (%s)'
                        % (where, count, ', '.join('%d %s' % kv for kv in sorted(BY_COUNT.items()))))
    return BY_COUNT[count]
