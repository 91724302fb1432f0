"""Human3.6M from the other common files, read into the same arrays as the annotation folders.

Sources (DATASET.source), all under --dataset:
  annot        annot/s_SS_act_AA_subact_UU_ca_CC/matlab_meta.txt (the seed's; lib.dataset)
  videopose3d  data_3d_h36m.npz, key positions_3d: {'S1': {'Directions 1': (N, 32, 3) world m}}
  cdf          S1/MyPoseFeatures/D3_Positions/<Action>.cdf, variable Pose (1, N, 96) world mm
  h5           S1/MyPoses/3D_positions/<Action>.h5, dataset 3D_positions (96, N) world mm
The last three hold world poses only: the cameras come from DATASET.cameras (VideoPose3D's
h36m_cameras.json, the default, or the original's cameras.h5).
2D detections (DATASET.train_2d / test_2d) come from the original's Stacked Hourglass folders
(`sh`: S1/StackedHourglass/<Action>.<camera id>.h5, `sh_ft`: S1/StackedHourglassFineTuned240/,
dataset poses (N, 16, 2) px) or from VideoPose3D's data_2d_h36m_<name>.npz (key positions_2d:
{'S1': {recording: [4 arrays (N, J, 2) px, one per camera]}}, the layout in its metadata).
They are paired with the 3D recordings by name, then by camera and frame index.

Action names: 'Directions', 'Directions 1', ...; 'TakingPhoto' and 'WalkingDog' are the same
actions as 'Photo' and 'WalkDog'. Of a subject's two recordings of an action, the name without a
number (or with the lower number) is subaction 1, the other subaction 2.
"""
import glob
import logging
import os
import re

import numpy as np

from lib import h36m
from lib.arrays import ARRAY_KEYS, assemble, camera_view
from lib.cameras import load_cameras
from lib.errors import PoseError
from lib.keypoints import layout_names, to_h36m

log = logging.getLogger(__name__)

# The values of DATASET.source.
SOURCES = ('annot', 'videopose3d', 'cdf', 'h5')
ALIASES = {'TakingPhoto': 'Photo', 'WalkingDog': 'WalkDog'}
ACTION_BY_NAME = {name: a for a, name in h36m.ACTIONS.items()}


def parse_action_name(name):
    """'Directions 1' -> (2, 1) = (action id, number after the name, 0 when none)."""
    m = re.fullmatch(r'\s*([A-Za-z]+)\s*(\d*)\s*', name)
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


def load_pickled_npz(path, key):
    """One key of VideoPose3D's npz files, which hold pickled dicts: pickling is allowed here,
    for this format only (the annotation folders and our caches never use it)."""
    if not os.path.isfile(path):
        raise PoseError('%s: no such file' % path)
    try:
        with np.load(path, allow_pickle=True) as z:
            if key not in z.files:
                raise PoseError('%s: no key %r (keys: %s)' % (path, key, ', '.join(z.files)))
            value = z[key]
    except ModuleNotFoundError as e:
        raise PoseError('%s: written by a newer numpy (%s); re-save it with numpy < 2' % (path, e))
    except (OSError, ValueError) as e:
        raise PoseError('%s: not a readable npz file (%s)' % (path, e))
    value = value.item() if value.dtype == object and value.shape == () else value
    if not isinstance(value, dict):
        raise PoseError('%s: %s is not a dict of subjects' % (path, key))
    return value


def _subject_key(subject):
    return 'S%d' % subject


def read_videopose3d(root, subjects):
    """[(subject, action, subaction, world (N, 32, 3) mm, file, recording name)] from
    data_3d_h36m.npz."""
    path = os.path.join(root, 'data_3d_h36m.npz')
    positions = load_pickled_npz(path, 'positions_3d')
    out = []
    for s in subjects:
        if _subject_key(s) not in positions:
            raise PoseError('%s: subject %s missing' % (path, _subject_key(s)))
        recordings = positions[_subject_key(s)]
        numbering = number_subactions(list(recordings), '%s S%d' % (path, s))
        for name, world in recordings.items():
            world = np.asarray(world, dtype=np.float64)
            if world.ndim != 3 or world.shape[1:] != (32, 3):
                raise PoseError('%s: S%d %s has shape %s, expected (N, 32, 3)'
                                % (path, s, name, world.shape))
            out.append((s, *numbering[name], world * 1000.0, path, name))
    return out


def _per_file_reader(root, subjects, folder, ext, read_one):
    out = []
    for s in subjects:
        pattern = os.path.join(root, 'S%d' % s, folder, '*' + ext)
        files = sorted(glob.glob(pattern))
        if not files:
            raise PoseError('%s: no %s files for subject S%d' % (pattern, ext, s))
        names = _recordings_only({os.path.basename(f)[:-len(ext)]: f for f in files},
                                 os.path.dirname(pattern))
        numbering = number_subactions(list(names), os.path.dirname(pattern))
        for name, f in names.items():
            flat = read_one(f)
            if flat.ndim != 2 or flat.shape[1] != 96 or not np.all(np.isfinite(flat)):
                raise PoseError('%s: expected finite poses of 96 numbers, got shape %s'
                                % (f, flat.shape))
            out.append((s, *numbering[name], flat.reshape(-1, 32, 3).astype(np.float64), f, name))
    return out


def _recordings_only(files, where, recording=lambda name: name):
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


def _read_cdf(path):
    import cdflib
    try:
        pose = cdflib.CDF(path).varget('Pose')
    except Exception as e:          # cdflib raises plain Exceptions of several kinds
        raise PoseError('%s: cannot read variable Pose (%s)' % (path, e))
    return np.asarray(pose, dtype=np.float64).reshape(-1, 96)


def _read_h5(path):
    import h5py
    try:
        with h5py.File(path, 'r') as f:
            return np.asarray(f['3D_positions'], dtype=np.float64).T
    except (OSError, KeyError) as e:
        raise PoseError('%s: cannot read dataset 3D_positions (%s)' % (path, e))


def read_cdf(root, subjects):
    return _per_file_reader(root, subjects, 'MyPoseFeatures/D3_Positions', '.cdf', _read_cdf)


def read_h5(root, subjects):
    return _per_file_reader(root, subjects, 'MyPoses/3D_positions', '.h5', _read_h5)


READERS = {'videopose3d': read_videopose3d, 'cdf': read_cdf, 'h5': read_h5}


def source_files(source, root):
    """The files a source reads (for the cache key)."""
    patterns = {'videopose3d': ['data_3d_h36m.npz'],
                'cdf': ['S*/MyPoseFeatures/D3_Positions/*.cdf'],
                'h5': ['S*/MyPoses/3D_positions/*.h5']}[source]
    return sorted(f for p in patterns for f in glob.glob(os.path.join(root, p)))


def load_world_source(source, root, subjects, cameras_path, distortion):
    """Arrays (lib.arrays) from a source of world poses and the camera file, with the
    recordings' names ('rec_ids' (R, 3) subject, action, subaction; 'rec_names' (R,))."""
    cams = load_cameras(cameras_path)
    recordings = sorted(READERS[source](root, subjects), key=lambda r: r[:3])
    if not recordings:
        raise PoseError('%s: no sequences for subjects %s' % (root, list(subjects)))
    missing = sorted({s for s, *_ in recordings if s not in cams})
    if missing:
        raise PoseError('%s: no cameras for subject S%d' % (cameras_path, missing[0]))
    views = [(s, a, u, c, world[:, np.array(h36m.JOINTS_17_OF_32) - 1], cam, where)
             for s, a, u, world, where, _ in recordings for c, cam in enumerate(cams[s], start=1)]

    def arrays():
        for s, a, u, c, world, cam, where in views:
            try:
                pose3d, pose2d = camera_view(world, cam, distortion)
            except PoseError as e:
                raise PoseError('%s: S%d %s camera %d: %s' % (where, s, h36m.ACTIONS[a], c, e))
            yield pose3d, pose2d, cam['c'].astype(np.float32)
    data = assemble([len(v[4]) for v in views], np.array([v[:4] for v in views]), arrays())
    data['rec_ids'] = np.array([r[:3] for r in recordings], dtype=np.int32)
    data['rec_names'] = np.array([r[5] for r in recordings])
    return data


def detections_path(root, name):
    return os.path.join(root, 'data_2d_h36m_%s.npz' % name)


# The original 3d-pose-baseline's folders of Stacked Hourglass detections beside the 3D files.
DETECTION_FOLDERS = {'sh': 'StackedHourglass', 'sh_ft': 'StackedHourglassFineTuned240'}
# Human3.6M's camera ids, in the order of the cameras 1..4 of h36m_cameras.json.
CAMERA_IDS = ('54138969', '55011271', '58860488', '60457274')
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
    original's S<k>/<folder>/<Action>.<camera id>.h5 files."""
    out = {}
    for s in subjects:
        pattern = os.path.join(root, 'S%d' % s, folder, '*.h5')
        files = sorted(glob.glob(pattern))
        if not files:
            raise PoseError('%s: no Stacked Hourglass files for subject S%d' % (pattern, s))
        per_name = {}
        named = {os.path.basename(f)[:-3]: f for f in files}
        recordings = _recordings_only(named, os.path.dirname(pattern),
                                      lambda name: name.rpartition('.')[0])
        for name, f in recordings.items():
            stem, _, camera = name.rpartition('.')
            if camera not in CAMERA_IDS:
                raise PoseError('%s: expected <Action>.<camera id>.h5 with a camera id of %s'
                                % (f, ', '.join(CAMERA_IDS)))
            per_name.setdefault(stem, [None] * 4)[CAMERA_IDS.index(camera)] = (_read_sh_file(f), f)
        for stem, cams in per_name.items():
            if any(c is None for c in cams):
                lacking = [CAMERA_IDS[i] for i, c in enumerate(cams) if c is None]
                raise PoseError('%s: %s has no file for camera %s'
                                % (os.path.dirname(pattern), stem, ', '.join(lacking)))
            out.setdefault(s, {})[stem] = ([c[0] for c in cams], cams[0][1])
    return out, 'sh16'


def read_videopose3d_2d(path, subjects):
    """{subject: {recording name: ([4 arrays (N, J, 2) px], file)}} and the layout its
    metadata names (an unknown or missing one is an error)."""
    positions = load_pickled_npz(path, 'positions_2d')
    try:
        metadata = load_pickled_npz(path, 'metadata')
    except PoseError:
        metadata = None
    if metadata is None:
        # Files written before VideoPose3D added metadata hold Human3.6M-ordered 17 joints.
        metadata = {'layout_name': 'h36m', 'num_joints': 17}
    key = (str(metadata.get('layout_name')), int(metadata.get('num_joints', -1)))
    if key not in VP3D_LAYOUTS:
        raise PoseError('%s: metadata names layout %s with %s joints, none this project reads '
                        '(%s)' % (path, key[0], key[1], ', '.join('%s/%d' % k for k in VP3D_LAYOUTS)))
    out = {}
    for s in subjects:
        if _subject_key(s) not in positions:
            raise PoseError('%s: subject S%d missing' % (path, s))
        out[s] = {name: (cams, path) for name, cams in positions[_subject_key(s)].items()}
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
    if layout in ('h36m', 'coco') and len(det):
        other = 'coco' if layout == 'h36m' else 'h36m'
        claimed = upright_ratio(pose)
        alternative = upright_ratio(to_h36m(det, other, min_confidence=-np.inf))
        if alternative > claimed + 0.25:
            raise PoseError('%s: the file says its joints are in %s order, but they look like %s '
                            'order (the head-to-feet line spans %.0f%% of the body that way, %.0f%% '
                            'this way)' % (where, layout, other, 100 * alternative, 100 * claimed))
    return pose.astype(np.float32)


def upright_ratio(pose):
    """How well poses (N, 17, 2) fit a body: the median over frames of the distance from the
    head to the mid-point of the feet over the largest distance between two joints. About 0.9
    for people standing in the layout the joints are really in; much less in a wrong order."""
    pose = pose[:, list(h36m.INPUT_JOINTS)]
    head = pose[:, h36m.INPUT_JOINTS.index(h36m.JOINT_NAMES.index('Head'))]
    feet = (pose[:, h36m.INPUT_JOINTS.index(3)] + pose[:, h36m.INPUT_JOINTS.index(6)]) / 2
    extent = np.max(np.linalg.norm(pose[:, :, None] - pose[:, None], axis=-1), axis=(1, 2))
    ratio = np.linalg.norm(head - feet, axis=-1) / np.maximum(extent, 1e-6)
    return float(np.nanmedian(ratio))


def read_detections(root, name, subjects):
    """Detections DATASET.train_2d/test_2d = `name`: the original's sh / sh_ft folders, or
    VideoPose3D's data_2d_h36m_<name>.npz. Returns ({subject: {recording name: ([4 arrays],
    file)}}, layout)."""
    if name in DETECTION_FOLDERS:
        return read_sh_folders(root, DETECTION_FOLDERS[name], subjects)
    return read_videopose3d_2d(detections_path(root, name), subjects)


def apply_detections(data, root, name, subjects):
    """Replace data['pose2d'] by the detections `name` (read_detections), frame by frame.

    Recordings are paired by their names (recording_key) when the 3D source has names (every
    source but the annotation folders, whose recordings are paired by subaction number). A
    3D recording without detections is left out with a warning and listed in the returned
    data's 'left_out'; a detection sequence longer than the 3D is cut to it; a shorter one, a
    missing subject, a camera missing or a wrong joint count is a PoseError naming the
    file, subject and recording."""
    detections, layout = read_detections(root, name, subjects)
    rec_names = {tuple(int(v) for v in r): str(n)
                 for r, n in zip(data.get('rec_ids', []), data.get('rec_names', []))}
    by_name = bool(rec_names) and all(rec_names.values())
    keys = data['ids'][:, :4]
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
        for a, u in sorted({(int(r[1]), int(r[2])) for r in keys[keys[:, 0] == s]}):
            rows_su = np.flatnonzero((keys[:, 0] == s) & (keys[:, 1] == a) & (keys[:, 2] == u))
            label = rec_names.get((s, a, u)) or '%s (subaction %d)' % (h36m.ACTIONS[a], u)
            det_name = lookup.get(recording_key(rec_names[(s, a, u)], where) if by_name
                                  else (a, u))
            if det_name is None:
                log.warning('S%d %s: no %s detections; left out (%d frames)', s, label, name,
                            len(rows_su))
                left_out.append({'subject': s, 'recording': label, 'frames': int(len(rows_su))})
                keep[rows_su] = False
                continue
            cams, path = found[det_name]
            if len(cams) != len(h36m.CAMERAS):
                raise PoseError('%s: S%d %s: %d cameras, expected 4' % (path, s, det_name, len(cams)))
            for c in h36m.CAMERAS:
                rows = rows_su[keys[rows_su, 3] == c]
                det = np.asarray(cams[c - 1], dtype=np.float64)
                where_c = '%s: S%d %s camera %d' % (path, s, det_name, c)
                joints = len(layout_names(layout))
                if det.ndim != 3 or det.shape[1:] != (joints, 2):
                    raise PoseError('%s: shape %s, expected (N, %d, 2) for layout %s'
                                    % (where_c, det.shape, joints, layout))
                if len(det) < len(rows):
                    raise PoseError('%s: %d frames, shorter than the %d of the 3D'
                                    % (where_c, len(det), len(rows)))
                pose2d[rows] = to_17_joints(det[data['ids'][rows, 4]], layout, where_c)
    out = {k: (v[keep] if k in ARRAY_KEYS else v) for k, v in data.items()}
    out['pose2d'] = pose2d[keep]
    out['left_out'] = left_out
    return out
