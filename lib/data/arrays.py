"""The dataset arrays every source is read into, assembled from world poses and cameras.

  'pose3d' (N, 17, 3) float32  camera-frame mm (not yet root-relative),
  'pose2d' (N, 17, 2) float32  pixels,
  'ids'    (N, 5) int32        subject, action, subaction, camera, frame (frame zero-based),
  'centre' (N, 2) float32      the camera's principal point (cx, cy) in pixels.
Rows are ordered by recording (subject, action, subaction, camera) then frame.
"""
import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.data.cameras import project, world_to_camera

ARRAY_KEYS = ('pose3d', 'pose2d', 'ids', 'centre')
# The recordings: 'rec_ids' (R, 3) subject, action, subaction and 'rec_names' (R,) the names the
# source gave them ('' for the annotation folders), to pair them with detections by name.
RECORDING_KEYS = ('rec_ids', 'rec_names')
# Sanity bounds: a projection or a position beyond these comes from a broken camera or file.
MAX_PIXELS = 1e6
MAX_MM = 1e6
ID_FIELDS = ('subject', 'action', 'subaction', 'camera', 'frame')
# The columns of 'ids' by name, and the leading columns that name a recording (subject,
# action, subaction) and one camera's view of it.
SUBJECT, ACTION, SUBACTION, CAMERA, FRAME = range(len(ID_FIELDS))
RECORDING, VIEW = slice(0, CAMERA), slice(0, FRAME)
# The names of the ids: 'subject_names' (S,) and 'action_names' (A,) str, indexed by id ('' for
# an unused id): Human3.6M's 'S9' and 'Walking', or a motion-capture folder's performers and
# motion classes.
NAME_KEYS = ('subject_names', 'action_names')


def h36m_names():
    """The NAME_KEYS arrays of Human3.6M: subjects 'S1'..'S11', its 15 actions."""
    return {'subject_names': np.array(['S%d' % s if s in h36m.SUBJECTS else ''
                                       for s in range(max(h36m.SUBJECTS) + 1)]),
            'action_names': np.array([h36m.ACTIONS.get(a, '')
                                      for a in range(max(h36m.ACTIONS) + 1)])}


def id_names(data):
    """({subject id: name}, {action id: name}) of dataset arrays; Human3.6M's names for
    arrays that carry none."""
    names = dict(h36m_names(), **{k: data[k] for k in NAME_KEYS if k in data})
    return tuple({i: str(n) for i, n in enumerate(names[k]) if n} for k in NAME_KEYS)


def check_arrays(data, where):
    """Refuse dataset arrays that are not what every source gives: a dict with ARRAY_KEYS of
    one length (at least one frame) and these shapes."""
    shapes = {'pose3d': (17, 3), 'pose2d': (17, 2), 'ids': (5,), 'centre': (2,)}
    if not isinstance(data, dict) or any(k not in data for k in ARRAY_KEYS):
        raise PoseError('%s: expected the dataset arrays, a dict of %s (lib.data.arrays)'
                        % (where, ', '.join(ARRAY_KEYS)))
    for key, shape in shapes.items():
        if np.ndim(data[key]) != 1 + len(shape) or np.shape(data[key])[1:] != shape:
            raise PoseError('%s: %s has shape %s, expected (N, %s)'
                            % (where, key, np.shape(data[key]), ', '.join(map(str, shape))))
    if len({len(data[k]) for k in ARRAY_KEYS}) != 1 or not len(data['ids']):
        raise PoseError('%s: expected arrays of one length, at least one frame; got %s'
                        % (where, {k: len(data[k]) for k in ARRAY_KEYS}))


def every_nth(data, every):
    """The rows of dataset arrays whose frame index is a multiple of `every` (1: all), as
    papers that evaluate every N-th frame do."""
    if every == 1:
        return data
    keep = data['ids'][:, FRAME] % every == 0
    longest = int(data['ids'][:, FRAME].max()) + 1 if len(data['ids']) else 0
    if longest <= every:
        raise PoseError('TEST.every %d: keeps one frame of each recording (the longest has %d '
                        'frames), and the velocity error needs two; choose at most %d'
                        % (every, longest, max(1, longest - 1)))
    return {k: (v[keep] if k in ARRAY_KEYS else v) for k, v in data.items()}


def camera_view(world, camera, distortion, first_line=None):
    """World joints (N, 17, 3) mm seen by `camera` (dict with R, T, f, c, k, p) -> camera-frame
    poses (N, 17, 3) and their projections (N, 17, 2) px, float32 (lens distortion applied when
    `distortion`). A joint at or behind the camera is a PoseError naming the frame (and its
    line, when frame 0 is on line `first_line` of a text file)."""
    cam = world_to_camera(world, camera['R'], camera['T'])
    behind = np.any(cam[..., 2] <= 0, axis=1)
    if behind.any():
        frame = int(np.flatnonzero(behind)[0])
        line = '' if first_line is None else ' (line %d)' % (first_line + frame)
        raise PoseError('frame %d%s: a joint lies at or behind the camera (depth <= 0)'
                        % (frame, line))
    dist = (camera['k'], camera['p']) if distortion else (None, None)
    with np.errstate(all='ignore'):                     # overflow is reported just below
        uv = project(cam, camera['f'], camera['c'], *dist)
    wild = ~np.all(np.isfinite(uv) & (np.abs(uv) < MAX_PIXELS), axis=(1, 2))
    if wild.any():
        raise PoseError('frame %d: projections beyond %g pixels (check the focal length, centre '
                        'and distortion of the camera)' % (int(np.flatnonzero(wild)[0]), MAX_PIXELS))
    if not np.all(np.abs(cam) < MAX_MM):
        raise PoseError('poses beyond %g mm from the camera' % MAX_MM)
    return cam.astype(np.float32), uv.astype(np.float32)


def assemble(counts, ids, views, progress=None):
    """Fill the arrays from recordings in place: counts (n,) frames of each recording, ids (n, 4)
    subject, action, subaction, camera, and `views` an iterable giving each recording's
    (pose3d (N, 17, 3), pose2d (N, 17, 2), centre (2,)) in the same order. The arrays are sized
    first, so the peak memory is the arrays plus the recordings in flight."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    out = {'pose3d': np.empty((total, h36m.NUM_JOINTS, 3), np.float32),
           'pose2d': np.empty((total, h36m.NUM_JOINTS, 2), np.float32),
           'ids': np.empty((total, len(ID_FIELDS)), np.int32),
           'centre': np.empty((total, 2), np.float32)}
    starts = np.concatenate([[0], np.cumsum(counts)])
    for i, (cam, uv, centre) in enumerate(progress(views) if progress else views):
        a, b = starts[i], starts[i + 1]
        if len(cam) != counts[i]:
            raise PoseError('recording %s: %d frames, %d expected (a file changed while being '
                            'read?)' % (list(ids[i]), len(cam), counts[i]))
        out['pose3d'][a:b] = cam
        out['pose2d'][a:b] = uv
        out['ids'][a:b, VIEW] = ids[i]
        out['ids'][a:b, FRAME] = np.arange(counts[i])
        out['centre'][a:b] = centre
    return out
