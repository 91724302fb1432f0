"""The hostile-input round: every case of the list in doc/reliability.md ("Hostile input"), by
class. Nothing lost, no traceback, no exit 0 with a result computed from bad input."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lib.data.h36m import annotation

from lib.model import run_files
from lib.train import runs

from lib.data import synthetic
from lib.core.errors import PoseError
from tests.conftest import ROOT, run_cli, write_yaml

FLIPS = 60


def one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.stdout[-800:], proc.stderr[-800:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), proc.stderr
    assert 'Traceback' not in proc.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def no_run_folder(root):
    return not os.path.exists(os.path.join(str(root), 'output', 'model'))


# ---- Data loss -------------------------------------------------------------------------------

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


# ---- Config values out of range: refused before anything is written --------------------------

@pytest.mark.parametrize('yaml_text, key', [
    ('TRAIN:\n  batchsize: 0\n', 'TRAIN.batchsize'),
    ('TRAIN:\n  batchsize: -3\n', 'TRAIN.batchsize'),
    ('NETWORK:\n  dropout: 1.0\n', 'NETWORK.dropout'),
    ('NETWORK:\n  dropout: 1.5\n', 'NETWORK.dropout'),
    ('TRAIN:\n  decay_steps: 0\n', 'TRAIN.decay_steps'),
    ('NETWORK:\n  linear_size: 0\n', 'NETWORK.linear_size'),
    ('NETWORK:\n  bn_momentum: 5\n', 'NETWORK.bn_momentum'),
    ('TRAIN:\n  lr: .nan\n', 'TRAIN.lr'),
    ('TRAIN:\n  lr: -0.001\n', 'TRAIN.lr'),
    ('DATASET:\n  train_subjects: []\n', 'DATASET.train_subjects'),
    ('DATASET:\n  test_subjects: [3]\n', 'DATASET.test_subjects'),
    ('TRAIN:\n  seed: 4294967296\n', 'TRAIN.seed'),
    ('TRAIN:\n  end_epoch: 0\n', 'TRAIN.end_epoch'),
    ('TRAIN:\n  end_epoch: -2\n', 'TRAIN.end_epoch'),
    ('DATASET:\n  sigma: -1\n', 'DATASET.sigma'),
    ('NETWORK:\n  nJoints: 17\n', 'not a setting'),
])
def test_out_of_range_config_is_refused_before_anything_is_written(tmp_path, small_dataset,
                                                                  yaml_text, key):
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset,
                   '--cfg', write_yaml(tmp_path / 'bad.yaml', yaml_text))
    one_line_error(proc, key)
    assert no_run_folder(tmp_path)


def test_seed_option_out_of_range(tmp_path, small_dataset):
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset, '--seed', -1)
    one_line_error(proc, '--seed -1')
    assert no_run_folder(tmp_path)


def test_a_batch_larger_than_the_training_set(tmp_path):
    synthetic.generate(str(tmp_path / 'd'), frames=2, seed=0)   # 5 x 15 x 2 x 4 x 2 frames
    cfg = write_yaml(tmp_path / 'c.yaml', 'TRAIN:\n  batchsize: 2000\nDATASET:\n  cache: false\n')
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', tmp_path / 'd', '--cfg', cfg)
    one_line_error(proc, 'more than the 1200 training frames')
    assert no_run_folder(tmp_path)


# ---- Bad data files ----------------------------------------------------------------------------

def _annotation(tmp_path, subjects=(9,)):
    synthetic.generate(str(tmp_path / 'd'), frames=2, seed=0, subjects=list(subjects))
    return str(tmp_path / 'd')


def _rewrite_line(path, number, text):
    lines = open(path).read().split('\n')
    lines[number - 1] = text
    open(path, 'w').write('\n'.join(lines))


def test_zero_frame_files_everywhere(tmp_path):
    from lib.data.dataset import load_subjects
    root = _annotation(tmp_path)
    for folder in os.listdir(os.path.join(root, 'annot')):
        path = os.path.join(root, 'annot', folder, 'matlab_meta.txt')
        lines = open(path).read().split('\n')
        open(path, 'w').write('\n'.join(['0'] + lines[1:9]) + '\n')
    with pytest.raises(PoseError, match='no frames for subjects \\[9\\]'):
        load_subjects(root, [9])


@pytest.mark.parametrize('line, text, message', [
    (1, '100000000000', 'line 1: expected the number of frames \\(0 to'),
    (5, 'c 500 500', "line 5: labelled 'c', the label of line 6"),
    (5, 'f 1145 1144 7', 'line 5: expected a label and 2 numbers, found 4 tokens'),
    (5, 'f 0 1145', 'focal lengths must be > 0'),
    (5, 'f 1e308 1e308', 'projections beyond'),
    (3, 'R 1 0 0 0 1 0 0 0 2', 'not a rotation matrix'),
    (9, 'joints 1 1 3 4 7 8 9 13 14 15 16 18 19 20 26 27 28', 'distinct joint indices'),
])
def test_bad_header_lines(tmp_path, line, text, message):
    from lib.data.dataset import load_subjects
    root = _annotation(tmp_path)
    path = os.path.join(root, 'annot', annotation.folder_name(9, 2, 1, 1), 'matlab_meta.txt')
    _rewrite_line(path, line, text)
    with pytest.raises(PoseError, match=message):
        load_subjects(root, [9], workers=1)


def test_a_folder_or_a_link_loop_where_a_file_should_be(tmp_path):
    from lib.data.dataset import load_subjects
    root = _annotation(tmp_path)
    path = os.path.join(root, 'annot', annotation.folder_name(9, 3, 1, 1), 'matlab_meta.txt')
    os.remove(path)
    os.mkdir(path)
    with pytest.raises(PoseError, match='not a readable file \\(a folder\\)'):
        load_subjects(root, [9])
    os.rmdir(path)
    os.symlink(path, path)
    with pytest.raises(PoseError, match='a broken or looping link'):
        load_subjects(root, [9])


def test_degenerate_statistics_are_refused():
    from lib.codec import compute_stats
    with pytest.raises(PoseError, match='every input pose is the same'):
        compute_stats(np.ones((10, 32), np.float32), np.random.rand(10, 48).astype(np.float32))
    with pytest.raises(PoseError, match='NaN or infinity'):
        compute_stats(np.full((10, 32), np.inf, np.float32), np.random.rand(10, 48))


# ---- Damaged run files ------------------------------------------------------------------------

@pytest.fixture
def run_copy(tmp_path, trained_run):
    run = tmp_path / 'run'
    shutil.copytree(trained_run['run'], run)
    return run


def test_a_damaged_params_file_is_caught_by_its_checksum(run_copy, trained_run):
    model = run_copy / 'Model_epoch6.params'
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 0x10                 # one bit in the middle of a weight
    model.write_bytes(bytes(raw))
    before = {p: p.read_bytes() for p in run_copy.iterdir()}
    proc = run_cli('test.py', '--root', run_copy.parent, '--dataset', trained_run['data'],
                   '--model', model)
    one_line_error(proc, 'Model_epoch6.params', 'SHA-256 differs')
    assert {p: p.read_bytes() for p in run_copy.iterdir()} == before     # nothing written


def test_a_broken_params_file_says_what_is_wrong(run_copy, trained_run):
    model = run_copy / 'Model_epoch6.params'
    model.write_bytes(model.read_bytes()[:1000])
    os.remove(run_copy / 'checksums.json')
    proc = run_cli('test.py', '--root', run_copy.parent, '--dataset', trained_run['data'],
                   '--model', model)
    one_line_error(proc, 'Model_epoch6.params')
    assert 'Traceback' not in proc.stderr and '(most recent call last)' not in proc.stderr


def test_truncated_statistics(run_copy):
    from lib.codec import load_stats
    stats = run_copy / 'meanstd.npz'
    stats.write_bytes(stats.read_bytes()[:300])
    with pytest.raises(PoseError, match='cannot read normalisation statistics'):
        load_stats(str(stats))


def test_resume_checkpoint_with_wrong_fields_or_damaged_content(run_copy):
    """A hand-made or damaged resume.npz is refused field by field, before anything is loaded;
    it names no other file, so nothing outside the run can be read or removed through it."""
    import mxnet as mx
    from config import load_config
    from lib.core.settings import to_plain
    from lib.model.network import build_network, initialize_network
    from lib.train import resume
    from lib.train.loop import make_trainer
    cfg = load_config(str(run_copy / 'hyperParams.yaml'))
    path = str(run_copy / 'resume.npz')
    files = {n: run_files.file_sha256(str(run_copy / n)) for n in ('hyperParams.yaml', 'meanstd.npz')}
    good = {'epoch': 2, 'step': 10, 'curves': [], 'elapsed': 1.0, 'devices': 1,
            'log_file': 'x.log', 'dataset': '/data', 'config': to_plain(cfg), 'files': files}
    net = build_network(cfg.NETWORK)
    initialize_network(net, cfg.NETWORK, [mx.cpu()])
    trainer = make_trainer(net, cfg.TRAIN)
    params = (run_copy / 'Model_epoch6.params').read_bytes()
    cases = [(dict(good, epoch='two'), "field epoch is 'two', expected int", '/data'),
             (dict(good, epoch=6), 'epoch 6 / step 10 out of range', '/data'),
             (good, 'the run trained on /data', '/else'),
             (dict(good, config=dict(good['config'], TRAIN={})), 'differs from the config', '/data'),
             (dict(good, files=dict(files, **{'meanstd.npz': '0' * 64})), 'meanstd.npz is not the one',
              '/data'),
             (dict(good, files={'../../victim.params': 'x'}), 'victim.params is not the one', '/data')]
    for state, message, dataset in cases:
        resume.write_checkpoint_file(path, params, b'', state)
        with pytest.raises(PoseError, match=message):
            resume.read_checkpoint(str(run_copy), cfg, 1, dataset)
    (run_copy / 'resume.npz').write_bytes(b'PK\x03\x04 not a zip')
    with pytest.raises(PoseError, match='resume.npz: not a readable checkpoint'):
        resume.read_checkpoint(str(run_copy), cfg, 1, '/data')
    for optimizer in (b'', b'\x00' * 40):
        resume.write_checkpoint_file(path, params, optimizer, good)
        state = resume.read_checkpoint(str(run_copy), cfg, 1, '/data')
        with pytest.raises(PoseError, match='resume.npz: not a readable optimiser state'):
            resume.load_checkpoint_weights(net, trainer, state, [mx.cpu()])
    # Parameters that hold NaN (a run that diverged) are refused like a damaged file's.
    first = net.collect_params()[sorted(net.collect_params())[0]]
    first.set_data(mx.nd.full(first.shape, np.nan))
    net.save_parameters(str(run_copy / 'nan.params'))
    trainer.save_states(str(run_copy / 'ok.states'))
    resume.write_checkpoint_file(path, (run_copy / 'nan.params').read_bytes(),
                                 (run_copy / 'ok.states').read_bytes(), good)
    state = resume.read_checkpoint(str(run_copy), cfg, 1, '/data')
    with pytest.raises(PoseError, match='resume.npz: .* holds NaN or infinity'):
        resume.load_checkpoint_weights(net, trainer, state, [mx.cpu()])


def test_two_trainers_on_one_run_folder(tmp_path):
    first = runs.lock_run_dir(str(tmp_path))
    with pytest.raises(PoseError, match='another train.py is using this run folder'):
        runs.lock_run_dir(str(tmp_path))
    first.close()
    runs.lock_run_dir(str(tmp_path)).close()


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


# ---- Messages ------------------------------------------------------------------------------------

def test_full_disk_names_the_file(tmp_path):
    from lib.core.files import atomic_path
    target = str(tmp_path / 'big.npy')
    with pytest.raises(OSError) as caught:
        with atomic_path(target) as tmp:
            open(tmp, 'w').write('half')
            raise OSError(errno.ENOSPC, 'No space left on device')
    assert caught.value.filename == target and not os.listdir(tmp_path)


def test_gpu_minus_one_twice(tmp_path, small_dataset):
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset, '--gpu', '-1,-1')
    one_line_error(proc, '--gpu -1,-1', '-1 alone for the CPU')


def test_ctrl_c_while_starting(tmp_path):
    proc = subprocess.Popen([sys.executable, 'train.py', '--dataset', str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)                           # MXNet is still importing
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and 'Traceback' not in err and 'interrupted' in err


def test_infer_options_out_of_range(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    np.save(tmp_path / 'k.npy', np.zeros((1, 25, 3)))
    for option, value in (('--min-confidence', 'nan'), ('--min-confidence', '2'),
                          ('--smooth', '-1'), ('--max-missing', '20')):
        proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--output',
                       tmp_path / 'o.json', option, value)
        one_line_error(proc, option)
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   model, '--sigma', -1)
    one_line_error(proc, '--sigma -1')


# ---- Property: any flipped byte in a cache, statistics file or checkpoint ------------------------

@pytest.fixture(scope='module')
def flip_targets(tmp_path_factory, trained_run):
    """A run folder copy and a cached dataset, to damage one byte at a time."""
    from lib.data.dataset import load_subjects
    base = tmp_path_factory.mktemp('flips')
    run = base / 'run'
    shutil.copytree(trained_run['run'], run)
    synthetic.generate(str(base / 'd'), frames=2, seed=0, subjects=[9])
    cache = str(base / 'cache')
    reference = load_subjects(str(base / 'd'), [9], cache_dir=cache)
    cache_file = os.path.join(cache, os.listdir(cache)[0])
    return {'run': run, 'data': str(base / 'd'), 'cache': cache, 'cache_file': cache_file,
            'reference': reference,
            'originals': {p: open(p, 'rb').read() for p in (
                cache_file, str(run / 'meanstd.npz'), str(run / 'Model_epoch6.params'))}}


@settings(max_examples=FLIPS, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(['cache', 'stats', 'params']), st.floats(0, 1, exclude_max=True),
       st.integers(1, 255))
def test_flipped_bytes_give_the_right_arrays_or_a_project_error(flip_targets, which, where, bit):
    from lib.data.dataset import load_subjects
    from lib.infer.lifter import Lifter
    path = {'cache': flip_targets['cache_file'], 'stats': str(flip_targets['run'] / 'meanstd.npz'),
            'params': str(flip_targets['run'] / 'Model_epoch6.params')}[which]
    original = flip_targets['originals'][path]
    raw = bytearray(original)
    raw[int(where * len(raw))] ^= bit
    with open(path, 'wb') as f:
        f.write(bytes(raw))
    try:
        if which == 'cache':
            # Whatever the damage, the cache is rebuilt and the arrays are right.
            data = load_subjects(flip_targets['data'], [9], cache_dir=flip_targets['cache'])
            for k, v in flip_targets['reference'].items():
                np.testing.assert_array_equal(data[k], v)
        else:
            with pytest.raises(PoseError) as caught:
                Lifter.load(str(flip_targets['run'] / 'Model_epoch6.params'))
            assert '\n' not in str(caught.value)
    finally:
        with open(path, 'wb') as f:
            f.write(original)
