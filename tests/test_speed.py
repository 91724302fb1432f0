"""The speed work: CPU threads, and bench.py's lines at a tiny size (the figures themselves
are the benchmark's business, doc/benchmark.md; here only that every line is there and sane)."""
import re

import pytest

from lib.cli import threads
from tests.conftest import run_cli


def test_threads_default_to_the_available_cores_and_the_user_wins():
    env = {}
    threads.use_available_cores(env)
    assert env['OMP_NUM_THREADS'] == str(threads.available_cores())
    assert threads.thread_count(env) == threads.available_cores() >= 1
    env = {'OMP_NUM_THREADS': '1'}
    threads.use_available_cores(env)
    assert env['OMP_NUM_THREADS'] == '1' and 'CPU threads: 1' in threads.describe(env)
    bad = {'OMP_NUM_THREADS': 'many'}
    threads.use_available_cores(bad)
    assert threads.thread_count(bad) is None and 'not a positive integer' in threads.describe(bad)
    # Resuming under another count goes on with a warning; the same count, or none recorded
    # (runs of earlier versions), says nothing.
    two = {'OMP_NUM_THREADS': '2'}
    assert 'trained with 1 CPU threads, this one has 2' in threads.resume_mismatch(1, two)
    assert threads.resume_mismatch(2, two) is None and threads.resume_mismatch(None, two) is None


LINES = [
    'parse annotation text', 'peak memory while parsing', 'read the cache',
    'read HDF5 (3D_positions) and project', 'read CDF (D3_Positions) and project',
    'training, batch 64 x 1 device(s)', 'training, batch 1024 x 1 device(s)',
    'one BatchNorm layer, batch 64', 'one BatchNorm layer, batch 1024',
    'against the arithmetic bound', 'operators of an unhybridized step',
    'max-norm: paper recipe step', "rounds' paired ratios", 'evaluation, every protocol',
    'inference, batch', 'folded BatchNorm', 'the same at batch 256', 'oneDNN graph fusion',
    'ONNX export in onnxruntime', 'animation of a lifted track (329 frames)',
]


@pytest.mark.slow
def test_bench_prints_every_line_at_a_tiny_size(tmp_path):
    proc = run_cli('tools/bench.py', '--frames', 2, '--steps', 2, '--rounds', 1, '--data',
                   tmp_path / 'bench')
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'GPU: none used' in out and 'CPU threads:' in out
    for name in LINES:
        match = [l for l in out.splitlines() if name in l]
        assert match, name
        ratio = re.search(r'ratio ([\d.]+)', match[0])
        if ratio:
            assert float(ratio.group(1)) > 0, match[0]
    steps = re.search(r'where a resident step goes .*: forward ([\d.]+) ms, backward (-?[\d.]+) ms, '
                      r'Adam update (-?[\d.]+) ms', out)
    assert steps and min(float(steps.group(k)) for k in (1, 2, 3)) > 0
    epoch = re.search(r'one epoch of the real Human3.6M \(1559752 frames, 24371 steps of 64\): '
                      r'([\d.]+) min', out)
    assert epoch and float(epoch.group(1)) > 0
