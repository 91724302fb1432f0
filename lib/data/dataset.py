"""Any Human3.6M source, or a folder of motion capture -> the arrays of lib.data.arrays, through
the cache.

`load_split` gives the training or the test part of config section DATASET. For Human3.6M,
`load_dataset` picks the reader of DATASET.source: the annotation folders (lib.data.h36m.annotation)
or a source of world poses (lib.data.h36m.world_sources); both hand their recordings to
lib.data.arrays.assemble, and the result goes through the .npz cache (lib.data.cache).
Detections, when asked for, then replace the 2D (lib.data.h36m.detections). For source 'mocap' the
folder's takes are filmed by virtual cameras (lib.data.mocap.folder), split by performer.
"""

from easydict import EasyDict

from lib.core.errors import PoseError
from lib.core.files import option_file
from lib.core.h36m import MOCAP, SOURCES
from lib.core.resources import DEFAULT_CAMERAS
from lib.data.arrays import h36m_names
from lib.data.cache import cache_folder, cached
from lib.data.h36m import detections, world_sources
from lib.data.h36m.annotation import list_sources, parse_subjects
from lib.data.mocap.folder import joint_map_file, list_takes, load_mocap, mocap_files

__all__ = ['SOURCES', 'MOCAP', 'load_split', 'split_label', 'load_dataset', 'load_subjects',
           'cameras_file', 'cache_folder']

SPLITS = ('train', 'test')
# The options of a motion-capture folder that change one split's arrays, and the value that
# leaves them as captured.
MOCAP_VARIANTS = {'train': {'mocap_bodies': 'captured', 'mocap_joint_bias': 0.0},
                  'test': {'mocap_test_placement': 'captured'}}


def split_label(dataset_cfg, split):
    """What a split holds, for the log: 'subjects [9, 11]' or 'performers ...'."""
    if dataset_cfg.source == MOCAP:
        test = ', '.join(['performers %s' % ', '.join(dataset_cfg.mocap_test)] *
                         bool(dataset_cfg.mocap_test) +
                         ['sources %s' % ', '.join(dataset_cfg.get('mocap_test_sources', []))] *
                         bool(dataset_cfg.get('mocap_test_sources')))
        return test if split == 'test' else 'all but %s' % test
    return 'subjects %s' % list(dataset_cfg['%s_subjects' % split])


def load_split(dataset_root, split, dataset_cfg, cache_dir=None, progress=None, workers=None):
    """Arrays of the 'train' or 'test' part of config section DATASET: Human3.6M's
    train_subjects with train_2d (test_subjects with test_2d), or, for source 'mocap', the
    performers of the folder not in DATASET.mocap_test (those in it)."""
    if split not in SPLITS:
        raise ValueError('split %r: expected train or test' % split)
    input_2d = dataset_cfg['%s_2d' % split]
    if dataset_cfg.source != MOCAP:
        return load_dataset(dataset_root, dataset_cfg['%s_subjects' % split], dataset_cfg,
                            input_2d, cache_dir, progress, workers)
    if input_2d != 'gt':
        raise PoseError('DATASET.%s_2d %s: a motion-capture folder has no detections; use gt '
                        '(its takes are projected by virtual cameras)' % (split, input_2d))
    if split == 'test' and not (dataset_cfg.mocap_test or dataset_cfg.mocap_test_sources):
        raise PoseError('DATASET.mocap_test and mocap_test_sources are empty: name the performers '
                        'or sources to test on (doc/data.md, "Motion capture")')
    kind = dataset_cfg.mocap_cameras
    cameras_path = cameras_file(dataset_cfg.cameras, dataset_root) if kind != 'random' else None
    options = {'source': MOCAP, 'split': split, 'test': sorted(dataset_cfg.mocap_test),
               'cameras': kind, 'views': dataset_cfg.mocap_views, 'camera_file': cameras_path,
               'distortion': bool(dataset_cfg.distortion)}
    options.update(_variant_options(dataset_cfg, split))
    takes = list_takes(dataset_root)     # listed once: for the key and the arrays
    joint_map = joint_map_file(dataset_cfg, dataset_root)
    paths = (mocap_files(dataset_root, takes) + ([cameras_path] if cameras_path else [])
             + ([joint_map] if joint_map else []))
    return cached(cache_dir, paths, options,
                  lambda: load_mocap(dataset_root, takes, split, dataset_cfg,
                                                  cameras_path, progress),
                  '%s (%s)' % (split_label(dataset_cfg, split), MOCAP))


def _variant_options(dataset_cfg, split):
    """The options of the cache key added since its first version (the sources held out, and
    MOCAP_VARIANTS of the split), each only when it changes the arrays: the caches of the runs
    made before them stay valid."""
    out = {}
    if dataset_cfg.get('mocap_joints'):
        out['joints'] = dataset_cfg.mocap_joints
    if dataset_cfg.mocap_test_sources:
        out['test_sources'] = sorted(dataset_cfg.mocap_test_sources)
    for key, captured in MOCAP_VARIANTS[split].items():
        if dataset_cfg[key] != captured:
            out[key] = dataset_cfg[key]
    return out


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
    return option_file('DATASET.cameras', option, dataset_root)


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
        paths = world_sources.source_files(source, dataset_root)
        if not paths:
            raise PoseError('%s: no %s files here (see README, "Data sources")'
                            % (dataset_root, source))
        paths = paths + [cameras_path]
        build = lambda: world_sources.load_world_source(source, dataset_root, subjects, cameras_path,
                                                  dataset_cfg.distortion)
    options = {'source': source, 'subjects': list(subjects),
               'distortion': bool(dataset_cfg.distortion), 'cameras': cameras_path}
    data = cached(cache_dir, paths, options, lambda: dict(build(), **h36m_names()),
                  'subjects %s (%s)' % (list(subjects), source))
    if not len(data['ids']):
        raise PoseError('%s: no frames for subjects %s (every %s file holds 0 frames)'
                        % (dataset_root, list(subjects), source))
    if input_2d != 'gt':
        data = detections.apply_detections(data, dataset_root, input_2d, subjects)
    return data
