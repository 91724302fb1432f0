"""The reading part of tools/bench.py: the synthetic set it measures on, and the rates of the
annotation parser, the cache and the HDF5 and CDF readers."""
import os
import shutil
import tempfile
import time
import tracemalloc

from easydict import EasyDict

from lib.core import h36m
from lib.core.errors import PoseError
from lib.data import synthetic
from lib.data.arrays import ARRAY_KEYS
from lib.data.dataset import load_dataset, load_subjects

FORMATS = ('annot', 'h5', 'cdf')


def line(name, value, unit, bound=None, bound_text=''):
    ratio = '' if bound is None else '  ratio %.2f  (bound: %s)' % (value / bound, bound_text)
    print('%-48s %12.1f %-10s%s' % (name, value, unit, ratio), flush=True)


def ensure_dataset(path, frames):
    """Reuse the synthetic set in `path` when its marker says it has `frames` frames in FORMATS;
    replace a set that bench.py wrote otherwise; refuse a folder bench.py did not write."""
    marker = os.path.join(path, 'bench-synthetic-frames.txt')
    want = '%d %s' % (frames, ','.join(FORMATS))
    if os.path.exists(marker):
        if open(marker).read().strip() == want:
            return
        shutil.rmtree(path)              # our own set of another size
    elif os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise PoseError('--data %s: exists and was not written by bench.py (no %s); give an '
                        'empty or new folder' % (path, os.path.basename(marker)))
    t = time.time()
    synthetic.generate(path, frames=frames, seed=0, formats=FORMATS)
    with open(marker, 'w') as f:
        f.write(want)
    print('wrote synthetic set: 840 recordings x %d frames (%s) in %.0f s'
          % (frames, ', '.join(FORMATS), time.time() - t))


def bench_data(path, workers):
    subjects = list(h36m.SUBJECTS)
    tracemalloc.start()
    t = time.time()
    data = load_subjects(path, subjects, workers=workers)
    seconds = time.time() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(data['ids'])
    size = sum(data[k].nbytes for k in ARRAY_KEYS)
    parse_rate = n / seconds
    line('parse annotation text (%d poses, %d workers)' % (n, workers), parse_rate, 'poses/s',
         1e5, '100,000 poses/s')
    line('  peak memory while parsing', peak / 2 ** 20, 'MiB', 2 * size / 2 ** 20,
         'twice the prepared arrays, %.0f MiB' % (2 * size / 2 ** 20))
    with tempfile.TemporaryDirectory() as cache:
        load_subjects(path, subjects, cache_dir=cache, workers=workers)      # writes the cache
        t = time.time()
        cached = load_subjects(path, subjects, cache_dir=cache, workers=workers)
        seconds = time.time() - t
    assert len(cached['ids']) == n
    line('read the cache (checked)', n / seconds, 'poses/s', 2e6, '2,000,000 poses/s')
    for source, name in (('h5', 'HDF5 (3D_positions)'), ('cdf', 'CDF (D3_Positions)')):
        cfg = EasyDict(source=source, distortion=False, cameras='')
        t = time.time()
        other = load_dataset(path, subjects, cfg, 'gt')
        seconds = time.time() - t
        assert len(other['ids']) == n
        line('read %s and project' % name, n / seconds, 'poses/s', parse_rate,
             'the annotation parser above')
    return data
