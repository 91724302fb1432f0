"""Human3.6M's world poses from the other common files, read into the same arrays as the
annotation folders, and the writers of those files (for the synthetic set).

Sources (DATASET.source), all under --dataset:
  videopose3d  data_3d_h36m.npz, key positions_3d: {'S1': {'Directions 1': (N, 32, 3) world m}}
  cdf          S1/MyPoseFeatures/D3_Positions/<Action>.cdf, variable Pose (1, N, 96) world mm
  h5           S1/MyPoses/3D_positions/<Action>.h5, dataset 3D_positions (96, N) world mm
They hold world poses only: the cameras come from DATASET.cameras (VideoPose3D's
h36m_cameras.json, the default, or the original's cameras.h5; lib.data.cameras).

Action names: 'Directions', 'Directions 1', ...; 'TakingPhoto' and 'WalkingDog' are the same
actions as 'Photo' and 'WalkDog'. Of a subject's two recordings of an action, the name without a
number (or with the lower number) is subaction 1, the other subaction 2. Files whose names are
not recordings (a release's '_ALL' files) are skipped with one log line.
"""
import glob
import logging
import os
import pickle
import re
import zipfile

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path
from lib.data.arrays import assemble, camera_view
from lib.data.cameras import load_cameras

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


class _PlainDataUnpickler(pickle.Unpickler):
    """Builds only what VideoPose3D's files hold: dicts, lists, strings, numbers and numpy
    arrays and dtypes. Any other class or function in the pickle (a way to run code) is refused
    before it is called."""

    ALLOWED = {('numpy.core.multiarray', '_reconstruct'), ('numpy.core.multiarray', 'scalar'),
               ('numpy.core.numeric', '_frombuffer'), ('numpy', 'ndarray'), ('numpy', 'dtype'),
               ('collections', 'OrderedDict')}

    def find_class(self, module, name):
        # numpy 2 writes numpy._core where numpy 1.x has numpy.core: the same functions.
        module = module.replace('numpy._core', 'numpy.core', 1)
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError('refused %s.%s: only plain data (dicts, lists, strings, '
                                         'numbers, numpy arrays) is read' % (module, name))
        return super().find_class(module, name)


def _read_npz_member(path, key):
    """The array stored under `key` in the npz at `path`; object arrays through
    _PlainDataUnpickler, never through numpy's own unrestricted unpickling."""
    with zipfile.ZipFile(path) as archive:
        names = [n[:-4] for n in archive.namelist() if n.endswith('.npy')]
        if key not in names:
            raise PoseError('%s: no key %r (keys: %s)' % (path, key, ', '.join(names)))
        with archive.open(key + '.npy') as f:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError('.npy format version %s' % (version,))
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            _, _, dtype = read_header(f)
            if not dtype.hasobject:
                f.seek(0)
                return np.lib.format.read_array(f, allow_pickle=False)
            return _PlainDataUnpickler(f).load()


def npz_keys(path):
    """The names of the arrays in an npz file; a PoseError when it is not one."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [n[:-4] for n in archive.namelist() if n.endswith('.npy')]
    except (OSError, zipfile.BadZipFile) as e:
        raise PoseError('%s: not a readable npz file (%s)' % (path, e))


def load_pickled_npz(path, key):
    """One key of VideoPose3D's npz files, which hold pickled dicts: unpickled by a restricted
    unpickler that builds plain data only (files written under numpy 1 or 2 alike)."""
    if not os.path.isfile(path):
        raise PoseError('%s: no such file' % path)
    try:
        value = _read_npz_member(path, key)
    except pickle.UnpicklingError as e:
        raise PoseError('%s: %s holds more than plain data (%s)' % (path, key, e))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, TypeError, AttributeError,
            IndexError, KeyError) as e:
        raise PoseError('%s: not a readable npz file (%s: %s)' % (path, type(e).__name__, e))
    if isinstance(value, np.ndarray) and value.dtype == object and value.shape == ():
        value = value.item()
    if not isinstance(value, dict):
        raise PoseError('%s: %s is not a dict of subjects' % (path, key))
    return value


def subject_key(subject):
    return 'S%d' % subject


def read_videopose3d(root, subjects):
    """[(subject, action, subaction, world (N, 32, 3) mm, file, recording name)] from
    data_3d_h36m.npz."""
    path = os.path.join(root, 'data_3d_h36m.npz')
    positions = load_pickled_npz(path, 'positions_3d')
    out = []
    for s in subjects:
        if subject_key(s) not in positions:
            raise PoseError('%s: subject %s missing' % (path, subject_key(s)))
        recordings = positions[subject_key(s)]
        if not isinstance(recordings, dict):
            raise PoseError('%s: S%d is a %s, expected a dict of recordings'
                            % (path, s, type(recordings).__name__))
        numbering = number_subactions(list(recordings), '%s S%d' % (path, s))
        for name, world in recordings.items():
            world = _pose_array(world, '%s: S%d %s' % (path, s, name), (32, 3))
            out.append((s, *numbering[name], world * 1000.0, path, name))
    return out


def _pose_array(value, where, shape):
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


def _per_file_reader(root, subjects, folder, ext, read_one):
    out = []
    for s in subjects:
        pattern = os.path.join(root, 'S%d' % s, folder, '*' + ext)
        files = sorted(glob.glob(pattern))
        if not files:
            raise PoseError('%s: no %s files for subject S%d' % (pattern, ext, s))
        names = recordings_only({os.path.basename(f)[:-len(ext)]: f for f in files},
                                 os.path.dirname(pattern))
        numbering = number_subactions(list(names), os.path.dirname(pattern))
        for name, f in names.items():
            flat = _pose_array(read_one(f), f, (96,))
            out.append((s, *numbering[name], flat.reshape(-1, 32, 3), f, name))
    return out


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


def _read_cdf(path):
    import cdflib
    try:
        pose = np.asarray(cdflib.CDF(path).varget('Pose'))
    except Exception as e:          # cdflib raises plain Exceptions of several kinds
        raise PoseError('%s: cannot read variable Pose (%s)' % (path, e))
    if pose.ndim not in (2, 3) or pose.shape[-1] != 96 or (pose.ndim == 3 and pose.shape[0] != 1):
        raise PoseError('%s: Pose has shape %s, expected (1, N, 96)' % (path, pose.shape))
    return pose.reshape(-1, 96)


def _read_h5(path):
    import h5py
    try:
        with h5py.File(path, 'r') as f:
            data = f.get('3D_positions')
            if not isinstance(data, h5py.Dataset):
                raise PoseError('%s: 3D_positions is %s, expected a dataset (96, N)'
                                % (path, 'missing' if data is None else 'a group'))
            if data.ndim != 2 or data.shape[0] != 96:
                raise PoseError('%s: 3D_positions has shape %s, expected (96, N)'
                                % (path, data.shape))
            return np.asarray(data, dtype=np.float64).T
    except (OSError, TypeError, ValueError) as e:
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
    """Arrays (lib.data.arrays) from a source of world poses and the camera file, with the
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




def save_npz(path, **arrays):
    """Write arrays (dicts as pickled objects, the way VideoPose3D stores them) atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, **{k: np.array(v, dtype=object) if isinstance(v, dict) else v
                         for k, v in arrays.items()})


def write_cdf(path, poses):
    """Write world poses (N, 32, 3) mm as the official release's D3_Positions .cdf."""
    from cdflib.cdfwrite import CDF
    os.makedirs(os.path.dirname(path), exist_ok=True)
    n = len(poses)
    with atomic_path(path, '.tmp.cdf') as tmp:
        if os.path.exists(tmp):          # cdflib refuses to write over a file
            os.remove(tmp)
        cdf = CDF(tmp)
        cdf.write_var({'Variable': 'Pose', 'Data_Type': CDF.CDF_FLOAT, 'Num_Elements': 1,
                       'Rec_Vary': True, 'Dim_Sizes': [n, 96]},
                      var_data=poses.reshape(1, n, 96).astype(np.float32))
        cdf.close()


def write_h5(path, poses):
    """Write world poses (N, 32, 3) mm as the original's 3D_positions .h5 (96, N)."""
    import h5py
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, 'w') as f:
        f.create_dataset('3D_positions', data=poses.reshape(len(poses), 96).T)
