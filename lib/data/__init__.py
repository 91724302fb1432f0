"""Human3.6M's files, or motion capture, read into one set of arrays, whatever the source; imports lib.core and
lib.core.layouts only.

    dataset      load_dataset / load_subjects: DATASET.source -> the arrays, through the cache
    annotation   the seed's annotation folders (matlab_meta.txt): reader and writer
    world        VideoPose3D's data_3d_h36m.npz, the release's CDF and the original's HDF5:
                 readers and writers; recording names
    detections   2D detections in place of the ground truth (Stacked Hourglass folders,
                 VideoPose3D's data_2d_h36m_<name>.npz): reader and writer
    cameras      projection, h36m_cameras.json and the original's cameras.h5
    arrays       the arrays every source gives: pose3d, pose2d, ids, centre
    cache        the .npz cache of those arrays
    synthetic    a synthetic Human3.6M in every format, for the demo and the tests
    motion       the synthetic skeleton and its 15 action styles
    bvh          BVH motion capture: reader, forward kinematics, writer
    asf_amc      Acclaim ASF/AMC motion capture (CMU, HDM05): reader, forward kinematics
    cmu_expmap   CMU motion capture as exponential-map text (Li et al. 2018): reader, forward
                 kinematics
    mocap        any motion-capture skeleton as Human3.6M's 17 joints (names, units, 50 Hz)
    mocap_folder a folder of takes as the arrays (DATASET.source mocap): performers, classes,
                 the split, virtual cameras
    virtual_cameras  Human3.6M's cameras or random ones around a person
    kinematics   rotations shared by the readers and the synthetic skeleton

Data flows one way: files -> world poses and cameras -> arrays (lib.data.arrays) -> cache.
"""
from lib.data.arrays import ARRAY_KEYS, every_nth
from lib.data.cameras import DEFAULT_CAMERAS, load_cameras
from lib.data.dataset import SOURCES, cache_folder, cameras_file, load_dataset, load_subjects

__all__ = ['ARRAY_KEYS', 'every_nth', 'DEFAULT_CAMERAS', 'load_cameras', 'SOURCES', 'cache_folder',
           'cameras_file', 'load_dataset', 'load_subjects']
