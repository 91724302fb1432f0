"""VideoPose3D's files (Pavllo et al. 2019): data_3d_h36m.npz, key positions_3d, {'S1':
{'Directions 1': (N, 32, 3) world m}}, read into world poses; the pickled dicts of its npz
files (3D and 2D) unpickled safely; and the writer of such files (for the synthetic set).
"""
import os
import pickle
import zipfile

import numpy as np

from lib.core.errors import PoseError
from lib.core.files import atomic_path
from lib.data.h36m.recordings import number_subactions, pose_array, subject_recordings


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


def read_videopose3d(root, subjects):
    """[(subject, action, subaction, world (N, 32, 3) mm, file, recording name)] from
    data_3d_h36m.npz."""
    path = os.path.join(root, 'data_3d_h36m.npz')
    positions = load_pickled_npz(path, 'positions_3d')
    out = []
    for s in subjects:
        recordings = subject_recordings(positions, s, path)
        numbering = number_subactions(list(recordings), '%s S%d' % (path, s))
        for name, world in recordings.items():
            world = pose_array(world, '%s: S%d %s' % (path, s, name), (32, 3))
            out.append((s, *numbering[name], world * 1000.0, path, name))
    return out


def save_npz(path, **arrays):
    """Write arrays (dicts as pickled objects, the way VideoPose3D stores them) atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, **{k: np.array(v, dtype=object) if isinstance(v, dict) else v
                         for k, v in arrays.items()})
