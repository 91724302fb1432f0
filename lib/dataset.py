"""Annotation folders -> whole arrays, with an .npz cache.

`load_subjects` returns a dict of arrays for the chosen subjects:
  'pose3d' (N, 17, 3) float32  camera-frame mm (not yet root-relative),
  'pose2d' (N, 17, 2) float32  pixels,
  'ids'    (N, 5) int32        subject, action, subaction, camera, frame (frame zero-based),
  'centre' (N, 2) float32      the camera's principal point (cx, cy) in pixels.
Rows are ordered by folder (subject, action, subaction, camera) then frame.
"""
import hashlib
import json
import logging
import multiprocessing
import os
import zipfile
import zlib

import numpy as np

from lib import h36m
from lib import sources
from lib.cameras import DEFAULT_CAMERAS, project, world_to_camera
from lib.errors import PoseError
from lib.files import atomic_path

log = logging.getLogger(__name__)

# Bump when the arrays computed from the same files change, so that old caches are not served.
CACHE_VERSION = 3
ARRAY_KEYS = ('pose3d', 'pose2d', 'ids', 'centre')
ID_FIELDS = ('subject', 'action', 'subaction', 'camera', 'frame')


def _folder_arrays(annotation, distortion):
    """One parsed annotation -> (pose3d (N,17,3), pose2d (N,17,2)) float64 in the camera frame."""
    world = annotation['poses'][:, annotation['joints']]
    cam = world_to_camera(world, annotation['R'], annotation['T'])
    if np.any(cam[..., 2] <= 0):
        frame = int(np.flatnonzero(np.any(cam[..., 2] <= 0, axis=1))[0])
        raise PoseError('frame %d (line %d): a joint lies at or behind the camera (depth <= 0)'
                        % (frame, h36m.HEADER_LINES + frame + 1))
    dist = (annotation['k'], annotation['p']) if distortion else (None, None)
    return cam, project(cam, annotation['f'], annotation['c'], *dist)


def list_sources(dataset_root, subjects):
    """Paths of the annotation files of `subjects` and their ids (n, 4); raises on missing ones."""
    folders, ids = h36m.all_folders(subjects)
    paths = [h36m.annotation_path(dataset_root, f) for f in folders]
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
    try:
        cam, uv = _folder_arrays(annotation, distortion)
    except PoseError as e:
        raise PoseError('%s %s' % (path, e))
    return cam.astype(np.float32), uv.astype(np.float32), annotation['c'].astype(np.float32)


def parse_subjects(paths, ids, distortion, progress=None, workers=None):
    """Parse the files and stack them into the arrays described in the module docstring.

    The arrays are sized from the files' first lines and filled in place, so the peak memory is
    the arrays themselves plus a few files in flight. With workers > 1 the files are parsed by a
    pool of processes (default: one per core)."""
    counts = np.array([h36m.read_frame_count(p) for p in paths], dtype=np.int64)
    total = int(counts.sum())
    out = {'pose3d': np.empty((total, 17, 3), np.float32),
           'pose2d': np.empty((total, 17, 2), np.float32),
           'ids': np.empty((total, 5), np.int32),
           'centre': np.empty((total, 2), np.float32)}
    starts = np.concatenate([[0], np.cumsum(counts)])
    jobs = [(p, distortion) for p in paths]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    pool = multiprocessing.get_context('fork').Pool(workers) if workers > 1 else None
    try:
        results = pool.imap(_parse_file, jobs, chunksize=2) if pool else map(_parse_file, jobs)
        if progress:
            results = progress(results)
        for i, (cam, uv, centre) in enumerate(results):
            a, b = starts[i], starts[i + 1]
            if len(cam) != counts[i]:
                raise PoseError('%s: changed while being read' % paths[i])
            out['pose3d'][a:b] = cam
            out['pose2d'][a:b] = uv
            out['ids'][a:b, :4] = ids[i]
            out['ids'][a:b, 4] = np.arange(counts[i])
            out['centre'][a:b] = centre
    finally:
        if pool:
            pool.terminate()
    return out


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
            data = {k: z[k] for k in ('key', 'checksum') + ARRAY_KEYS}
        ok = (str(data['key']) == key
              and data['pose3d'].shape[1:] == (17, 3) and data['pose2d'].shape[1:] == (17, 2)
              and data['ids'].shape[1:] == (5,) and data['centre'].shape[1:] == (2,)
              and len({len(data[k]) for k in ARRAY_KEYS}) == 1
              and str(data['checksum']) == _checksum(data))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        log.warning('cache %s is unreadable (%s); rebuilding it', path, e)
        return None
    if not ok:
        log.warning('cache %s does not match its sources or is altered; rebuilding it', path)
        return None
    return {k: data[k] for k in ARRAY_KEYS}


def _checksum(data):
    """CRC-32 over the arrays' bytes (about 7 GB/s: checking never slows a cache hit down)."""
    crc = 0
    for k in ARRAY_KEYS:
        crc = zlib.crc32(np.ascontiguousarray(data[k]).view(np.uint8).ravel(), crc)
    return '%08x' % crc


def _write_cache(path, key, data):
    """Write the arrays under a temporary name, then rename: never a half-written cache."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, key=np.array(key), checksum=np.array(_checksum(data)), **data)


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
    """Arrays of the annotation folders of `subjects` (see module docstring), cached in
    `cache_dir` when given; parsed by `workers` processes (default one per core)."""
    paths, ids = list_sources(dataset_root, subjects)
    options = {'source': 'annot', 'subjects': list(subjects), 'distortion': bool(distortion)}
    return cached(cache_dir, paths, options,
                  lambda: parse_subjects(paths, ids, distortion, progress, workers),
                  'subjects %s' % list(subjects))


def cache_folder(root, dataset_cfg):
    """ROOT/output/cache, or None when DATASET.cache is off."""
    return os.path.join(root, 'output', 'cache') if dataset_cfg.cache else None


def load_dataset(dataset_root, subjects, dataset_cfg, input_2d='gt', cache_dir=None,
                 progress=None, workers=None):
    """Arrays for `subjects` from the source of config section DATASET; the 2D input is the
    projected ground truth (input_2d 'gt') or the detections data_2d_h36m_<input_2d>.npz."""
    source = dataset_cfg.source
    if source == 'annot':
        data = load_subjects(dataset_root, subjects, dataset_cfg.distortion, cache_dir,
                             progress, workers)
    else:
        cameras_path = dataset_cfg.cameras or DEFAULT_CAMERAS
        paths = sources.source_files(source, dataset_root)
        if not paths:
            raise PoseError('%s: no %s files here (see README, "Data sources")'
                            % (dataset_root, source))
        options = {'source': source, 'subjects': list(subjects),
                   'distortion': bool(dataset_cfg.distortion), 'cameras': cameras_path}
        data = cached(cache_dir, paths + [cameras_path], options,
                      lambda: sources.load_world_source(source, dataset_root, subjects,
                                                        cameras_path, dataset_cfg.distortion),
                      'subjects %s (%s)' % (list(subjects), source))
    if input_2d != 'gt':
        data = sources.apply_detections(data, dataset_root, input_2d, subjects)
    return data
