"""Human3.6M's files, or motion capture, read into one set of arrays, whatever the source;
imports lib.core only. One sub-package a source, the modules they share beside them:

    h36m/        Human3.6M's files: the seed's annotation folders, VideoPose3D, the release's
                 CDF, the original's HDF5, detections (lib/data/h36m/__init__.py)
    mocap/       motion capture of real people: BVH, ASF/AMC, CMU exponential maps, a folder
                 of takes, virtual cameras (lib/data/mocap/__init__.py)
    synthetic/   the synthetic skeleton and the writer of a synthetic Human3.6M in every format
                 (lib/data/synthetic/__init__.py)
    dataset      load_split / load_dataset / load_subjects: DATASET.source -> the arrays,
                 through the cache
    arrays       the arrays every source gives: pose3d, pose2d, ids, centre
    cache        the .npz cache of those arrays
    cameras      projection, h36m_cameras.json and the original's cameras.h5
    kinematics   rotations shared by the motion-capture readers and the synthetic skeleton

Data flows one way: files -> world poses and cameras -> arrays (lib.data.arrays) -> cache. The
shared modules import none of the sub-packages; h36m and mocap import only the shared
modules; synthetic writes every format, so it imports them all; dataset picks among them.
"""
from lib.data.arrays import ARRAY_KEYS, every_nth
from lib.data.cameras import load_cameras
from lib.data.dataset import SOURCES, cache_folder, cameras_file, load_dataset, load_subjects

__all__ = ['ARRAY_KEYS', 'every_nth', 'load_cameras', 'SOURCES', 'cache_folder',
           'cameras_file', 'load_dataset', 'load_subjects']
