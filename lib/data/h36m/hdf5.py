"""The original 3d-pose-baseline's HDF5 files: S1/MyPoses/3D_positions/<Action>.h5, dataset
3D_positions (96, N), world mm. Reader and writer (for the synthetic set) of one file.
"""
import os

import numpy as np

from lib.core.errors import PoseError
from lib.core.files import atomic_path


def read_h5_file(path):
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


def write_h5(path, poses):
    """Write world poses (N, 32, 3) mm as the original's 3D_positions .h5 (96, N)."""
    import h5py
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, 'w') as f:
        f.create_dataset('3D_positions', data=poses.reshape(len(poses), 96).T)
