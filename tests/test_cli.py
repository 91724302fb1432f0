"""train.py and test.py end to end on synthetic data, and their errors on bad input."""
import json
import os
import re

import numpy as np
import pytest

from lib.core import h36m
from lib.data.h36m import annotation
from lib.data.dataset import load_subjects
from lib.eval.metrics import protocol_errors
from lib.codec import load_stats, network_targets, targets_to_pose
from tests.conftest import TINY_NET, run_cli, write_yaml


def test_training_run_folder_and_checkpoints(trained_run):
    files = sorted(os.listdir(trained_run['run']))
    # 6 epochs, 5 checkpoints a run -> every epoch (6 // 5 = 1), as the seed's end_epoch / 5.
    assert 'hyperParams.yaml' in files and 'meanstd.npz' in files
    assert 'Model_epoch6.params' in files
    assert ['Checkpoint_epoch%d.params' % e for e in range(1, 7)] == \
        [f for f in files if f.startswith('Checkpoint')]
    logs = os.listdir(os.path.join(trained_run['root'], 'output', 'train-log'))
    assert logs == [os.path.basename(trained_run['run']) + '.log']
    text = open(os.path.join(trained_run['root'], 'output', 'train-log', logs[0])).read()
    assert text.count('test Protocol#1') == 6
    # The thread count is in the log (results are bit-identical only at the same count).
    from lib.cli.threads import available_cores
    assert 'CPU threads: %d (OMP_NUM_THREADS=%d' % (available_cores(), available_cores()) in text


def test_test_py_writes_all_actions_and_every_frame(trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('test.py', '--gpu', '-1', '--root', trained_run['root'], '--dataset',
                   trained_run['data'], '--model', model)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.load(open(model[:-len('.params')] + '_results.json'))
    names = [h36m.ACTIONS[a] for a in h36m.ACTION_IDS]
    for protocol in ('protocol1', 'protocol2'):
        assert list(results[protocol]) == names + ['Average', 'All frames']
        assert np.isclose(results[protocol]['Average'],
                          np.mean([results[protocol][n] for n in names]))
    # Every test frame counted once: 2 subjects x 15 actions x 2 subactions x 4 cameras x 24.
    assert [results['frames'][n] for n in names] == [2 * 2 * 4 * 24] * 15
    assert results['frames']['All frames'] == 2 * 15 * 2 * 4 * 24
    assert set(results['per_joint']['protocol1']) == set(h36m.JOINT_NAMES)
    assert set(results['per_axis']) == {'x', 'y', 'z'}
    assert 'Directions' in proc.stdout and 'All frames' in proc.stdout and 'Joint' in proc.stdout
    # The test data is read once for all actions (the seed parsed it again for every action).
    assert len(re.findall(r'(loaded|read) \d+ frames of subjects \[9, 11\]', proc.stdout)) == 1

    # Well below the error of always predicting the training mean pose.
    stats = load_stats(os.path.join(trained_run['run'], 'meanstd.npz'))
    test = load_subjects(trained_run['data'], [9, 11])
    gt = targets_to_pose(network_targets(test['pose3d']).astype(np.float64))
    mean_pose = targets_to_pose(np.tile(stats['mean3d'], (len(gt), 1)))
    baseline = protocol_errors(mean_pose, gt)['p1'].mean()
    assert results['protocol1']['All frames'] < 0.6 * baseline
    assert results['protocol2']['All frames'] < results['protocol1']['All frames']


def _assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.stdout[-1000:], proc.stderr[-1000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), proc.stderr
    for f in fragments:
        assert f in lines[0]


def _tree(path):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs)


def test_missing_dataset_folder(tmp_path):
    proc = run_cli('train.py', '--gpu', '-1', '--root', tmp_path, '--dataset', tmp_path / 'nope')
    _assert_one_line_error(proc, 'nope')
    assert _tree(tmp_path) == []


def test_dataset_without_annotations(tmp_path):
    (tmp_path / 'empty').mkdir()
    proc = run_cli('train.py', '--gpu', '-1', '--root', tmp_path / 'out', '--dataset',
                   tmp_path / 'empty')
    _assert_one_line_error(proc, 'no annot/ folder')
    assert not (tmp_path / 'out').exists()


def test_malformed_annotation_line(tmp_path, small_dataset):
    import shutil
    data = tmp_path / 'data'
    shutil.copytree(small_dataset, data)
    path = annotation.annotation_path(str(data), annotation.folder_name(6, 10, 1, 3))
    lines = open(path).read().split('\n')
    lines[12] = lines[12].replace(' ', ' x', 1)
    open(path, 'w').write('\n'.join(lines))
    proc = run_cli('train.py', '--gpu', '-1', '--root', tmp_path / 'out', '--dataset', data)
    _assert_one_line_error(proc, 's_06_act_10_subact_01_ca_03', 'line 13')
    assert not (tmp_path / 'out' / 'output' / 'model').exists()


def test_missing_model_file(tmp_path, small_dataset):
    proc = run_cli('test.py', '--gpu', '-1', '--root', tmp_path, '--dataset', small_dataset,
                   '--model', tmp_path / 'Model_epoch200.params')
    _assert_one_line_error(proc, 'Model_epoch200.params', 'no such file')
    assert _tree(tmp_path) == []


def test_unknown_config_key(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'bad.yaml', 'TRAIN:\n  epochs: 3\n')
    proc = run_cli('train.py', '--gpu', '-1', '--root', tmp_path / 'out', '--dataset',
                   small_dataset, '--cfg', cfg)
    _assert_one_line_error(proc, 'TRAIN.epochs is unknown')
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('gpu, fragment', [('0', 'run on the CPU with --gpu -1'),
                                           ('a,b', 'expected a comma list'),
                                           ('0,0', 'distinct')])
def test_gpu_option_errors(tmp_path, small_dataset, gpu, fragment):
    proc = run_cli('train.py', '--gpu', gpu, '--root', tmp_path, '--dataset', small_dataset)
    _assert_one_line_error(proc, '--gpu', fragment)
    assert _tree(tmp_path) == []


def test_model_of_another_shape(tmp_path, trained_run, run_copy):
    run = run_copy
    wider = write_yaml(tmp_path / 'wider.yaml', 'NETWORK:\n  linear_size: 256\n')
    before = _tree(run)
    proc = run_cli('test.py', '--gpu', '-1', '--root', tmp_path, '--dataset', trained_run['data'],
                   '--model', run / 'Model_epoch6.params', '--cfg', wider)
    _assert_one_line_error(proc, 'Model_epoch6.params', 'does not fit')
    assert _tree(run) == before
    # Editing the run's own config instead is caught by its recorded checksum.
    text = open(run / 'hyperParams.yaml').read().replace('linear_size: 128', 'linear_size: 256')
    open(run / 'hyperParams.yaml', 'w').write(text)
    proc = run_cli('test.py', '--gpu', '-1', '--root', tmp_path, '--dataset', trained_run['data'],
                   '--model', run / 'Model_epoch6.params')
    _assert_one_line_error(proc, 'hyperParams.yaml', 'SHA-256 differs')


def test_tiny_net_config_is_valid(tmp_path):
    from config import load_config
    cfg = load_config(write_yaml(tmp_path / 't.yaml', TINY_NET % 2))
    assert cfg.NETWORK.linear_size == 128 and cfg.TRAIN.end_epoch == 2
