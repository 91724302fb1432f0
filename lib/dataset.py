"""Any Human3.6M source -> the arrays of lib.arrays, through an .npz cache.

`load_dataset` picks the reader of DATASET.source: the annotation folders (parsed here, by a
pool of processes) or a source of world poses (lib.sources); both hand their recordings to
lib.arrays.assemble. The cache is keyed by the options and every source file's path, size and
modification time (see cache_key for exactly what that promises).
"""
import hashlib
import json
import logging
import multiprocessing
import os
import zlib

import numpy as np
from easydict import EasyDict

from lib import h36m
from lib import sources
from lib.arrays import ARRAY_KEYS, RECORDING_KEYS, assemble, camera_view
from lib.cameras import DEFAULT_CAMERAS
from lib.errors import PoseError
from lib.files import atomic_path

log = logging.getLogger(__name__)

# Bump when the arrays computed from the same files change, so that old caches are not served.
CACHE_VERSION = 5


def list_sources(dataset_root, subjects):
    """Paths of the annotation files of `subjects` and their ids (n, 4); raises on missing ones."""
    folders, ids = h36m.all_folders(subjects)
    paths = [h36m.annotation_path(dataset_root, f) for f in folders]
    for f, p in zip(folders, paths):
        if os.path.lexists(p) and not os.path.isfile(p):
            raise PoseError('%s: not a readable file (%s)' % (p, 'a folder' if os.path.isdir(p)
                                                              else 'a broken or looping link'))
    missing = [f for f, p in zip(folders, paths) if not os.path.isfile(p)]
    if missing:
        if not os.path.isdir(os.path.join(dataset_root, 'annot')):
            raise PoseError('%s: no annot/ folder here (expected %s/annot/s_SS_act_AA_subact_UU_'
                            'ca_CC/matlab_meta.txt; make a synthetic set with python -m '
                            'lib.synthetic %s)' % (dataset_root, dataset_root, dataset_root))
        shown = ', '.join(missing[:5]) + (', ...' if len(missing) > 5 else '')
        raise PoseError('%s/annot: %d of %d annotation folders missing for subjects %s: %s'
                        % (dataset_root, len(missing), len(folders), list(subjects), shown))
    return paths, ids


def _parse_file(job):
    """One annotation file -> (pose3d (N,17,3), pose2d (N,17,2), centre (2,)) float32.
    Runs in worker processes: plain numpy, no MXNet."""
    path, distortion = job
    annotation = h36m.parse_annotation(path)
    camera = {k: annotation[k] for k in ('R', 'T', 'f', 'c', 'k', 'p')}
    try:
        cam, uv = camera_view(annotation['poses'][:, annotation['joints']], camera, distortion,
                              h36m.HEADER_LINES + 1)
    except PoseError as e:
        raise PoseError('%s %s' % (path, e))
    return cam, uv, annotation['c'].astype(np.float32)


def parse_subjects(paths, ids, distortion, progress=None, workers=None):
    """Parse the annotation files and assemble their arrays (lib.arrays). The arrays are sized
    from the files' first lines and filled in place. With workers > 1 the files are parsed by a
    pool of processes (default: one per core)."""
    counts = [h36m.read_frame_count(p) for p in paths]
    jobs = [(p, distortion) for p in paths]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    pool = multiprocessing.get_context('fork').Pool(workers) if workers > 1 else None
    try:
        views = pool.imap(_parse_file, jobs, chunksize=2) if pool else map(_parse_file, jobs)
        data = assemble(counts, ids, views, progress)
    finally:
        if pool:
            pool.terminate()
    # The folders name no recording: subactions are numbers only.
    data['rec_ids'] = np.unique(np.asarray(ids)[:, :3], axis=0).astype(np.int32)
    data['rec_names'] = np.array([''] * len(data['rec_ids']))
    return data


def cache_key(paths, options):
    """Hash of everything the arrays depend on: code version, options and every source file's
    path, size and modification time (ns), so that a changed file or option misses the cache."""
    h = hashlib.sha256()
    h.update(json.dumps(dict(options, version=CACHE_VERSION), sort_keys=True).encode())
    for p in paths:
        st = os.stat(p)
        h.update(('%s|%d|%d\n' % (os.path.abspath(p), st.st_size, st.st_mtime_ns)).encode())
    return h.hexdigest()


def _read_cache(path, key):
    """The cached arrays, or None (with a warning) when the file is stale, altered or broken."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in ('key', 'checksum') + ARRAY_KEYS + RECORDING_KEYS}
        ok = (str(data['key']) == key
              and data['pose3d'].shape[1:] == (17, 3) and data['pose2d'].shape[1:] == (17, 2)
              and data['ids'].shape[1:] == (5,) and data['centre'].shape[1:] == (2,)
              and len({len(data[k]) for k in ARRAY_KEYS}) == 1
              and data['rec_ids'].shape[1:] == (3,)
              and len(data['rec_ids']) == len(data['rec_names'])
              and str(data['checksum']) == _checksum(data))
    except Exception as e:   # a damaged file raises many kinds; whatever it is, rebuild
        log.warning('cache %s is unreadable (%s: %s); rebuilding it', path, type(e).__name__,
                    str(e).splitlines()[0][:100] if str(e) else '')
        return None
    if not ok:
        log.warning('cache %s does not match its sources or is altered; rebuilding it', path)
        return None
    return {k: data[k] for k in ARRAY_KEYS + RECORDING_KEYS}


def _checksum(data):
    """CRC-32 over the arrays' bytes (about 7 GB/s: checking never slows a cache hit down)."""
    crc = 0
    for k in ARRAY_KEYS + RECORDING_KEYS:
        crc = zlib.crc32(np.ascontiguousarray(data[k]).view(np.uint8).ravel(), crc)
    return '%08x' % crc


def _write_cache(path, key, data):
    """Write the arrays under a temporary name, then rename: never a half-written cache."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, key=np.array(key), checksum=np.array(_checksum(data)),
                 **{k: data[k] for k in ARRAY_KEYS + RECORDING_KEYS})


def cached(cache_dir, paths, options, build, label):
    """build() through an .npz cache keyed by cache_key(paths, options); no cache_dir, no cache."""
    if not cache_dir:
        return build()
    key = cache_key(paths, options)
    cache_path = os.path.join(cache_dir, 'h36m_%s_%s.npz' % (options['source'], key[:20]))
    data = _read_cache(cache_path, key)
    if data is not None:
        log.info('loaded %d frames of %s from cache %s', len(data['ids']), label, cache_path)
        return data
    data = build()
    try:
        _write_cache(cache_path, key, data)
    except OSError as e:
        log.warning('could not write cache %s (%s); going on without it', cache_path, e.strerror)
    log.info('read %d frames of %s from %d files', len(data['ids']), label, len(paths))
    return data


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


def cache_folder(root, dataset_cfg):
    """ROOT/output/cache, or None when DATASET.cache is off."""
    return os.path.join(root, 'output', 'cache') if dataset_cfg.cache else None


def load_dataset(dataset_root, subjects, dataset_cfg, input_2d='gt', cache_dir=None,
                 progress=None, workers=None):
    """Arrays (lib.arrays) for `subjects` from the source of config section DATASET, cached in
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
        paths = sources.source_files(source, dataset_root)
        if not paths:
            raise PoseError('%s: no %s files here (see README, "Data sources")'
                            % (dataset_root, source))
        paths = paths + [cameras_path]
        build = lambda: sources.load_world_source(source, dataset_root, subjects, cameras_path,
                                                  dataset_cfg.distortion)
    options = {'source': source, 'subjects': list(subjects),
               'distortion': bool(dataset_cfg.distortion), 'cameras': cameras_path}
    data = cached(cache_dir, paths, options, build, 'subjects %s (%s)' % (list(subjects), source))
    if not len(data['ids']):
        raise PoseError('%s: no frames for subjects %s (every %s file holds 0 frames)'
                        % (dataset_root, list(subjects), source))
    if input_2d != 'gt':
        data = sources.apply_detections(data, dataset_root, input_2d, subjects)
    return data
