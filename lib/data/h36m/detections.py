"""2D detections in place of the projected ground truth (DATASET.train_2d / test_2d), and the
writer of the original's detection files (for the synthetic set).

  sh, sh_ft  the original 3d-pose-baseline's Stacked Hourglass folders beside its 3D files:
             S1/StackedHourglass/<Action>.<camera id>.h5 (sh_ft: StackedHourglassFineTuned240/),
             dataset poses (N, 16, 2) px
  <name>     VideoPose3D's data_2d_h36m_<name>.npz, key positions_2d:
             {'S1': {recording: [4 arrays (N, J, 2) px, one per camera]}}, the layout in its
             metadata
They are paired with the 3D recordings by name, then by camera and frame index.
"""
import glob
import logging
import os

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path
from lib.core.h36m import CAMERA_IDS
from lib.core.layouts import layout_names, other_order, to_h36m
from lib.data.arrays import ARRAY_KEYS, CAMERA, FRAME, RECORDING, SUBJECT, VIEW
from lib.data.h36m.recordings import (number_subactions, parse_action_name, recordings_only,
                                     subject_recordings)
from lib.data.h36m.videopose3d import load_pickled_npz, npz_keys

log = logging.getLogger(__name__)

def detections_path(root, name):
    return os.path.join(root, 'data_2d_h36m_%s.npz' % name)


# The original 3d-pose-baseline's folders of Stacked Hourglass detections beside the 3D files.
DETECTION_FOLDERS = {'sh': 'StackedHourglass', 'sh_ft': 'StackedHourglassFineTuned240'}
# VideoPose3D's metadata names the layout; 16 joints are the Stacked Hourglass order.
VP3D_LAYOUTS = {('h36m', 17): 'h36m', ('coco', 17): 'coco', ('h36m', 16): 'sh16',
                ('mpii', 16): 'sh16', ('sh', 16): 'sh16'}


def recording_key(name, where):
    """A recording name, normalised to (action id, number): 'Directions_1', 'Directions 1' ->
    (2, 1); 'TakingPhoto' and 'Photo' are one action."""
    try:
        return parse_action_name(str(name).replace('_', ' '))
    except ValueError:
        raise PoseError('%s: %r is not a Human3.6M recording name' % (where, name))


def _read_sh_file(path):
    import h5py
    try:
        with h5py.File(path, 'r') as f:
            return np.asarray(f['poses'], dtype=np.float64)
    except (OSError, KeyError) as e:
        raise PoseError('%s: cannot read dataset poses (%s)' % (path, e))


def read_sh_folders(root, folder, subjects):
    """{subject: {recording name: ([4 arrays (N, 16, 2) px, cameras 1..4], file)}} from the
    original's S<k>/<folder>/<Action>.<camera id>.h5 files. A camera without a file is None in
    the list (the real release lacks S11 Directions.54138969.h5: a corrupt video)."""
    out = {}
    for s in subjects:
        pattern = os.path.join(root, 'S%d' % s, folder, '*.h5')
        files = sorted(glob.glob(pattern))
        if not files:
            raise PoseError('%s: no Stacked Hourglass files for subject S%d' % (pattern, s))
        per_name = {}
        named = {os.path.basename(f)[:-3]: f for f in files}
        recordings = recordings_only(named, os.path.dirname(pattern),
                                      lambda name: name.rpartition('.')[0])
        for name, f in recordings.items():
            stem, _, camera = name.rpartition('.')
            if camera not in CAMERA_IDS:
                raise PoseError('%s: expected <Action>.<camera id>.h5 with a camera id of %s'
                                % (f, ', '.join(CAMERA_IDS)))
            per_name.setdefault(stem, [None] * 4)[CAMERA_IDS.index(camera)] = (_read_sh_file(f), f)
        for stem, cams in per_name.items():
            out.setdefault(s, {})[stem] = ([c and c[0] for c in cams],
                                           [c and c[1] for c in cams])
    return out, 'sh16'


def read_videopose3d_2d(path, subjects):
    """{subject: {recording name: ([4 arrays (N, J, 2) px], file)}} and the layout its
    metadata names (an unknown or missing one is an error)."""
    positions = load_pickled_npz(path, 'positions_2d')
    if 'metadata' in npz_keys(path):
        metadata = load_pickled_npz(path, 'metadata')
    else:
        # Files written before VideoPose3D added metadata hold Human3.6M-ordered 17 joints.
        metadata = {'layout_name': 'h36m', 'num_joints': 17}
    joints = metadata.get('num_joints', -1)
    if isinstance(joints, bool) or not isinstance(joints, (int, np.integer)):
        raise PoseError('%s: metadata num_joints is %r, expected a whole number' % (path, joints))
    key = (str(metadata.get('layout_name')), int(joints))
    if key not in VP3D_LAYOUTS:
        raise PoseError('%s: metadata names layout %s with %s joints, none this project reads '
                        '(%s)' % (path, key[0], key[1], ', '.join('%s/%d' % k for k in VP3D_LAYOUTS)))
    out = {}
    for s in subjects:
        recordings = subject_recordings(positions, s, path)
        for name, cams in recordings.items():
            if not isinstance(cams, (list, tuple)):
                raise PoseError('%s: S%d %s is a %s, expected a list of 4 cameras\' arrays'
                                % (path, s, name, type(cams).__name__))
        out[s] = {name: (list(cams), [path] * len(cams)) for name, cams in recordings.items()}
    return out, VP3D_LAYOUTS[key]


def to_17_joints(det, layout, where):
    """Detections (N, J, 2) px of `layout` -> (N, 17, 2) Human3.6M order. Neck/Nose, which a
    16-joint layout lacks and the network does not use, is put between thorax and head. A
    layout whose joints do not look like it (a COCO-ordered file that says h36m, or the
    reverse) is refused."""
    pose = to_h36m(det, layout, min_confidence=-np.inf)
    gap = np.isnan(pose[:, h36m.NECK_NOSE, 0])
    thorax, head = h36m.JOINT_NAMES.index('Thorax'), h36m.JOINT_NAMES.index('Head')
    pose[gap, h36m.NECK_NOSE] = (pose[gap, thorax] + pose[gap, head]) / 2
    if np.isnan(pose).any() or not np.all(np.isfinite(pose)):
        raise PoseError('%s: NaN, infinity or a joint at (0, 0) among the detections' % where)
    mismatch = other_order(det, layout) if len(det) else None
    if mismatch:
        other, alternative, claimed = mismatch
        raise PoseError('%s: the file says its joints are in %s order, but they look like %s '
                        'order (the head-to-feet line spans %.0f%% of the body that way, %.0f%% '
                        'this way)' % (where, layout, other, 100 * alternative, 100 * claimed))
    return pose.astype(np.float32)


def read_detections(root, name, subjects):
    """Detections DATASET.train_2d/test_2d = `name`: the original's sh / sh_ft folders, or
    VideoPose3D's data_2d_h36m_<name>.npz. Returns ({subject: {recording name: ([4 arrays],
    file)}}, layout)."""
    if name in DETECTION_FOLDERS:
        return read_sh_folders(root, DETECTION_FOLDERS[name], subjects)
    return read_videopose3d_2d(detections_path(root, name), subjects)


def _place_recording(pose2d, ids, rows, found, layout, label):
    """Write one recording's detections `found` ([4 arrays (N, J, 2) px, or None for a camera
    without detections], [the file of each]) into the rows `rows` of pose2d (M, 17, 2), camera
    by camera and frame by frame (ids (M, 5)). Returns the cameras without detections."""
    cams, paths = found
    if len(cams) != len(h36m.CAMERAS):
        raise PoseError('%s: %s: %d cameras, expected 4' % (paths[0], label, len(cams)))
    joints = len(layout_names(layout))
    lacking = []
    for c in h36m.CAMERAS:
        rows_c = rows[ids[rows, CAMERA] == c]
        if cams[c - 1] is None:
            lacking.append(c)
            continue
        where = '%s: %s camera %d' % (paths[c - 1], label, c)
        try:
            det = np.asarray(cams[c - 1], dtype=np.float64)
        except (TypeError, ValueError):
            raise PoseError('%s: not an array of numbers' % where)
        if det.ndim != 3 or det.shape[1:] != (joints, 2):
            raise PoseError('%s: shape %s, expected (N, %d, 2) for layout %s'
                            % (where, det.shape, joints, layout))
        if len(det) < len(rows_c):
            raise PoseError('%s: %d frames, shorter than the %d of the 3D'
                            % (where, len(det), len(rows_c)))
        pose2d[rows_c] = to_17_joints(det[ids[rows_c, FRAME]], layout, where)
    return lacking


def apply_detections(data, root, name, subjects):
    """Replace data['pose2d'] by the detections `name` (read_detections), frame by frame.

    Recordings are paired by their names (recording_key) when the 3D source has names (every
    source but the annotation folders, whose recordings are paired by subaction number). A 3D
    recording without detections, or a camera of one without them, is left out with a warning
    and listed in the returned data's 'left_out'; a detection sequence longer than the 3D is
    cut to it; a shorter one, a missing subject, a camera missing or a wrong joint count is a
    PoseError naming the file, subject and recording."""
    detections, layout = read_detections(root, name, subjects)
    rec_names = {tuple(int(v) for v in r): str(n)
                 for r, n in zip(data.get('rec_ids', []), data.get('rec_names', []))}
    by_name = bool(rec_names) and all(rec_names.values())
    keys = data['ids'][:, VIEW]
    keep = np.ones(len(keys), dtype=bool)
    pose2d = data['pose2d'].copy()
    left_out = []
    for s in subjects:
        found = detections.get(s, {})
        where = 'detections %s S%d' % (name, s)
        if by_name:
            lookup = {recording_key(n, where): n for n in found}
        else:
            lookup = {v: k for k, v in number_subactions(list(found), where).items()}
        for a, u in sorted({(int(r[1]), int(r[2])) for r in keys[keys[:, SUBJECT] == s]}):
            rows = np.flatnonzero(np.all(keys[:, RECORDING] == (s, a, u), axis=1))
            label = rec_names.get((s, a, u)) or '%s (subaction %d)' % (h36m.ACTIONS[a], u)
            det_name = lookup.get(recording_key(rec_names[(s, a, u)], where) if by_name
                                  else (a, u))
            lacking = (None if det_name is None else
                       _place_recording(pose2d, data['ids'], rows, found[det_name], layout,
                                        'S%d %s' % (s, det_name)))
            for entry, dropped in _left_out(s, label, name, rows, keys, lacking):
                left_out.append(entry)
                keep[dropped] = False
    out = {k: (v[keep] if k in ARRAY_KEYS else v) for k, v in data.items()}
    out['pose2d'] = pose2d[keep]
    out['left_out'] = left_out
    return out


def _left_out(subject, label, name, rows, keys, lacking):
    """[(left_out entry, rows dropped)] of one recording (`rows` of the arrays): the whole
    recording when it has no detections (`lacking` None), else each camera of `lacking`; each
    logged with a warning."""
    if lacking is None:
        log.warning('S%d %s: no %s detections; left out (%d frames)', subject, label, name,
                    len(rows))
        return [({'subject': subject, 'recording': label, 'frames': int(len(rows))}, rows)]
    out = []
    for c in lacking:
        rows_c = rows[keys[rows, CAMERA] == c]
        log.warning('S%d %s camera %d (%s): no %s detections; left out (%d frames)', subject,
                    label, c, CAMERA_IDS[c - 1], name, len(rows_c))
        out.append(({'subject': subject, 'recording': label, 'camera': c,
                     'frames': int(len(rows_c))}, rows_c))
    return out


def write_sh_files(subject_dir, name, by_folder):
    """Write one recording's detections as the original's files: by_folder {folder name: [4
    arrays (N, 16, 2) px in the Stacked Hourglass order, cameras 1..4]} ->
    <subject_dir>/<folder>/<name with _ for spaces>.<camera id>.h5, dataset poses."""
    import h5py
    for folder, per_camera in by_folder.items():
        for cam_id, det in zip(CAMERA_IDS, per_camera):
            if det is None:                  # no file for this camera, as in the real release
                continue
            path = os.path.join(subject_dir, folder, '%s.%s.h5' % (name.replace(' ', '_'), cam_id))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with atomic_path(path) as tmp, h5py.File(tmp, 'w') as f:
                f.create_dataset('poses', data=det)
