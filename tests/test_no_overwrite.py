"""Nothing lost: no output replaces an input, a run's own files or a file the command did not
create, nothing is deleted that the command did not make, and a full disk leaves the previous
file whole.
"""
import errno
import json
import os
import sys

import numpy as np
import pytest

from lib.core.errors import PoseError
from lib.core.files import atomic_path, check_output
from tests.conftest import one_line_error, run_cli, write_yaml


def test_bench_never_deletes_a_folder_it_did_not_write(tmp_path):
    from tools import bench
    theirs = tmp_path / 'mine'
    theirs.mkdir()
    (theirs / 'thesis.tex').write_text('precious')
    with pytest.raises(PoseError, match='not written by bench.py'):
        bench.ensure_dataset(str(theirs), 2)
    assert (theirs / 'thesis.tex').read_text() == 'precious'
    proc = run_cli('tools/bench.py', '--frames', 0, '--data', tmp_path / 'b')
    one_line_error(proc, '--frames 0')


def test_test_py_cfg_variant_never_overwrites_the_plain_result(run_copy, trained_run):
    model = run_copy / 'Model_epoch6.params'
    proc = run_cli('test.py', '--root', run_copy.parent, '--dataset', trained_run['data'],
                   '--model', model)
    assert proc.returncode == 0, proc.stderr[-2000:]
    plain = (run_copy / 'Model_epoch6_results.json').read_bytes()
    dist = write_yaml(run_copy.parent / 'dist.yaml', 'DATASET:\n  distortion: true\n')
    proc = run_cli('test.py', '--root', run_copy.parent, '--dataset', trained_run['data'],
                   '--model', model, '--cfg', dist)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (run_copy / 'Model_epoch6_results.json').read_bytes() == plain
    variants = [f for f in os.listdir(run_copy) if f.startswith('Model_epoch6_cfg-')
                and f.endswith('_results.json')]
    assert len(variants) == 1
    import json
    record = json.load(open(run_copy / variants[0]))['computed_from']
    assert record['distortion'] is True and record['cfg_files'] == [dist]


def test_full_disk_names_the_file(tmp_path):
    from lib.core.files import atomic_path
    target = str(tmp_path / 'big.npy')
    with pytest.raises(OSError) as caught:
        with atomic_path(target) as tmp:
            open(tmp, 'w').write('half')
            raise OSError(errno.ENOSPC, 'No space left on device')
    assert caught.value.filename == target and not os.listdir(tmp_path)


def test_temporary_names_are_unique_and_never_an_input(tmp_path):
    """An input named like the old temporary name (output + .tmp) is neither overwritten nor
    renamed away; the temporary file is hidden, unique and gone afterwards."""
    out = tmp_path / 'poses.json'
    decoy = tmp_path / 'poses.json.tmp'
    decoy.write_text('input')
    with atomic_path(str(out)) as tmp:
        assert tmp != str(decoy) and os.path.basename(tmp).startswith('.poses.json.')
        open(tmp, 'w').write('{}')
    assert decoy.read_text() == 'input' and out.read_text() == '{}'
    assert sorted(os.listdir(tmp_path)) == ['poses.json', 'poses.json.tmp']
    assert oct(os.stat(out).st_mode & 0o777) != oct(0o600)        # not private like mkstemp's


def test_infer_never_touches_an_input_named_like_a_temporary_file(tmp_path, trained_run):
    from tests import keypoint_fixtures as fx
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    frames = [[fx.person_points('coco', shift=(4.0 * i, 0))] for i in range(3)]
    src = fx.coco_results(tmp_path / 'poses.json.tmp', frames)
    before = open(src).read()
    proc = run_cli('infer.py', '--model', model, '--input', src, '--output', tmp_path / 'poses.json')
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert open(src).read() == before
    assert json.load(open(tmp_path / 'poses.json'))['people']


def test_special_files_are_never_replaced(tmp_path, trained_run):
    fifo = tmp_path / 'fifo.onnx'
    os.mkfifo(fifo)
    with pytest.raises(PoseError, match='a device, FIFO or socket, not a regular file'):
        check_output(str(fifo), '--onnx')
    with pytest.raises(PoseError, match='is a folder'):
        check_output(str(tmp_path), '--output')
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('export.py', '--model', model, '--onnx', fifo)
    one_line_error(proc, '--onnx', 'not a regular file')
    assert os.path.exists(fifo) and not os.path.isfile(fifo)
    fifo_json = tmp_path / 'out.json'
    os.mkfifo(fifo_json)
    np.save(tmp_path / 'k.npy', np.tile(np.arange(51.0).reshape(1, 17, 3), (3, 1, 1)))
    proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--format', 'h36m',
                   '--output', fifo_json)
    one_line_error(proc, '--output', 'not a regular file')
    assert not os.path.isfile(fifo_json) and not (tmp_path / 'out_3d.npy').exists()


def test_no_output_replaces_a_run_s_own_files_or_a_file_it_did_not_create(tmp_path, trained_run,
                                                                          run_copy):
    run = run_copy
    model = run / 'Model_epoch6.params'
    sums = (run / 'checksums.json').read_text()
    args = ('--root', tmp_path, '--dataset', trained_run['data'])
    proc = run_cli('test.py', *args, '--model', model, '--summary', run / 'checksums.json')
    one_line_error(proc, '--summary', 'is a file of the run')
    np.save(tmp_path / 'k.npy', np.zeros((2, 17, 3)))
    proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--format', 'h36m',
                   '--output', run / 'checksums.json')
    one_line_error(proc, '--output', 'is a file of the run')
    assert (run / 'checksums.json').read_text() == sums
    (tmp_path / 'notes.md').write_text('my notes\n')
    proc = run_cli('test.py', *args, '--model', model, '--summary', tmp_path / 'notes.json')
    one_line_error(proc, 'notes.md exists and is not a summary of test.py')
    assert (tmp_path / 'notes.md').read_text() == 'my notes\n'
    assert not (tmp_path / 'notes.json').exists()


def test_a_full_disk_while_opening_a_run_leaves_no_half_run_folder(tmp_path, small_dataset,
                                                                  monkeypatch):
    import errno
    import train
    cfg = write_yaml(tmp_path / 'c.yaml', 'NETWORK:\n  linear_size: 32\nTRAIN:\n  end_epoch: 1\n')

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(train, 'save_stats', no_space)
    monkeypatch.setattr(sys, 'argv', ['train.py', '--root', str(tmp_path), '--dataset',
                                      small_dataset, '--cfg', cfg])
    with pytest.raises(OSError):
        train.main()
    assert os.listdir(tmp_path / 'output' / 'model') == []
