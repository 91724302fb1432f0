"""The .npz cache of the dataset arrays, keyed by the options and by every source file's path,
size and modification time (cache_key says exactly what that promises), checked by a CRC-32 of
the arrays on every read; a stale, altered or broken cache is rebuilt, never served.
"""
import hashlib
import json
import logging
import os
import zlib

import numpy as np

from lib.core.files import atomic_path
from lib.data.arrays import ARRAY_KEYS, NAME_KEYS, RECORDING_KEYS

log = logging.getLogger(__name__)

# Bump when the arrays computed from the same files change, so that old caches are not served.
CACHE_VERSION = 8
# The arrays and, as JSON text, the recordings or views a source left out.
STORED_KEYS = ARRAY_KEYS + RECORDING_KEYS + NAME_KEYS + ('left_out',)


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
            data = {k: z[k] for k in ('key', 'checksum') + STORED_KEYS}
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
    out = {k: data[k] for k in STORED_KEYS if k != 'left_out'}
    left_out = json.loads(str(data['left_out']))
    return dict(out, left_out=left_out) if left_out else out


def _checksum(data):
    """CRC-32 over the arrays' bytes (about 7 GB/s: checking never slows a cache hit down)."""
    crc = 0
    for k in STORED_KEYS:
        crc = zlib.crc32(np.ascontiguousarray(data[k]).view(np.uint8).ravel(), crc)
    return '%08x' % crc


def _write_cache(path, key, data):
    """Write the arrays under a temporary name, then rename: never a half-written cache."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    stored = dict({k: data[k] for k in STORED_KEYS if k != 'left_out'},
                  left_out=np.array(json.dumps(data.get('left_out', []))))
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, key=np.array(key), checksum=np.array(_checksum(stored)), **stored)


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


def cache_folder(root, dataset_cfg):
    """ROOT/output/cache, or None when DATASET.cache is off."""
    return os.path.join(root, 'output', 'cache') if dataset_cfg.cache else None
