"""Human3.6M's world poses from the common files other than the annotation folders, read into
the same arrays (lib.data.arrays).

Sources (DATASET.source), all under --dataset:
  videopose3d  data_3d_h36m.npz (lib.data.h36m.videopose3d)
  cdf          S1/MyPoseFeatures/D3_Positions/<Action>.cdf (lib.data.h36m.cdf)
  h5           S1/MyPoses/3D_positions/<Action>.h5 (lib.data.h36m.hdf5)
They hold world poses only: the cameras come from DATASET.cameras (VideoPose3D's
h36m_cameras.json, the default, or the original's cameras.h5; lib.data.cameras).
"""
import glob
import os

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.data.arrays import assemble, camera_view
from lib.data.cameras import load_cameras
from lib.data.h36m.cdf import read_cdf_file
from lib.data.h36m.hdf5 import read_h5_file
from lib.data.h36m.recordings import number_subactions, pose_array, recordings_only
from lib.data.h36m.videopose3d import read_videopose3d


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
            flat = pose_array(read_one(f), f, (96,))
            out.append((s, *numbering[name], flat.reshape(-1, 32, 3), f, name))
    return out


def read_cdf(root, subjects):
    return _per_file_reader(root, subjects, 'MyPoseFeatures/D3_Positions', '.cdf', read_cdf_file)


def read_h5(root, subjects):
    return _per_file_reader(root, subjects, 'MyPoses/3D_positions', '.h5', read_h5_file)


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
