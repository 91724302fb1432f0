"""Any Human3.6M source -> the arrays of lib.data.arrays, through the cache.

`load_dataset` picks the reader of DATASET.source: the annotation folders
(lib.data.annotation) or a source of world poses (lib.data.world); both hand their recordings
to lib.data.arrays.assemble, and the result goes through the .npz cache (lib.data.cache).
Detections, when asked for, then replace the 2D (lib.data.detections).
"""
import os

from easydict import EasyDict

from lib.core.errors import PoseError
from lib.core.h36m import SOURCES
from lib.data import detections, world
from lib.data.annotation import list_sources, parse_subjects
from lib.data.cache import cache_folder, cached
from lib.data.cameras import DEFAULT_CAMERAS

__all__ = ['SOURCES', 'load_dataset', 'load_subjects', 'cameras_file', 'cache_folder']


def load_subjects(dataset_root, subjects, distortion=False, cache_dir=None, progress=None,
                  workers=None):
    """Arrays of the annotation folders of `subjects` (load_dataset with DATASET.source annot)."""
    dataset_cfg = EasyDict(source='annot', distortion=distortion, cameras='')
    return load_dataset(dataset_root, subjects, dataset_cfg, 'gt', cache_dir, progress, workers)


def cameras_file(option, dataset_root):
    """The camera file of DATASET.cameras: '' is the shipped h36m_cameras.json; a relative
    path is looked up from the working folder, then inside the dataset root."""
    if not option:
        return DEFAULT_CAMERAS
    for path in (option, os.path.join(dataset_root, option)):
        if os.path.isfile(path):
            return os.path.abspath(path)
    raise PoseError('DATASET.cameras %s: no such file (looked here and in %s)'
                    % (option, dataset_root))


def load_dataset(dataset_root, subjects, dataset_cfg, input_2d='gt', cache_dir=None,
                 progress=None, workers=None):
    """Arrays (lib.data.arrays) for `subjects` from the source of config section DATASET, cached in
    `cache_dir` when given; the 2D input is the projected ground truth (input_2d 'gt') or the
    detections data_2d_h36m_<input_2d>.npz. Annotation files are parsed by `workers`
    processes (default one per core)."""
    source = dataset_cfg.source
    if source == 'annot':
        paths, ids = list_sources(dataset_root, subjects)
        cameras_path = None
        build = lambda: parse_subjects(paths, ids, dataset_cfg.distortion, progress, workers)
    else:
        cameras_path = cameras_file(dataset_cfg.cameras, dataset_root)
        paths = world.source_files(source, dataset_root)
        if not paths:
            raise PoseError('%s: no %s files here (see README, "Data sources")'
                            % (dataset_root, source))
        paths = paths + [cameras_path]
        build = lambda: world.load_world_source(source, dataset_root, subjects, cameras_path,
                                                  dataset_cfg.distortion)
    options = {'source': source, 'subjects': list(subjects),
               'distortion': bool(dataset_cfg.distortion), 'cameras': cameras_path}
    data = cached(cache_dir, paths, options, build, 'subjects %s (%s)' % (list(subjects), source))
    if not len(data['ids']):
        raise PoseError('%s: no frames for subjects %s (every %s file holds 0 frames)'
                        % (dataset_root, list(subjects), source))
    if input_2d != 'gt':
        data = detections.apply_detections(data, dataset_root, input_2d, subjects)
    return data
