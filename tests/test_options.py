"""Every option of the commands and every argument of the Python API checked, its range
included, before anything is read or written.
"""
import json
import os

import numpy as np
import pytest

from config import load_config
from lib.core.errors import PoseError
from lib.core.layouts import LAYOUTS
from lib.core.files import write_json
from lib.data import synthetic
from lib.infer.lifter import Lifter, device_context, score
from tests.conftest import no_run_folder, one_line_error, run_cli, write_yaml


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


def test_gpu_minus_one_twice(tmp_path, small_dataset):
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset, '--gpu', '-1,-1')
    one_line_error(proc, '--gpu -1,-1', '-1 alone for the CPU')


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


def test_options_are_checked_before_anything_is_written(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    np.save(tmp_path / 'k.npy', np.tile(np.arange(51.0).reshape(1, 17, 3), (3, 1, 1)))
    (tmp_path / 'a_file').write_text('x')
    for option, value, message in (('--figures', tmp_path / 'a_file', 'is not a folder'),
                                   ('--images', tmp_path / 'nowhere', 'no such folder')):
        proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--format',
                       'h36m', '--output', tmp_path / 'o.json', option, value)
        one_line_error(proc, option, str(value), message)
        assert not (tmp_path / 'o.json').exists() and not (tmp_path / 'o_3d.npy').exists()


def test_testing_on_the_training_subjects_is_called_a_training_set_error(tmp_path, trained_run,
                                                                           run_copy):
    run = run_copy
    cfg = write_yaml(tmp_path / 'same.yaml', 'DATASET:\n  test_subjects: [1, 9]\n')
    before = set(os.listdir(run))
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   run / 'Model_epoch6.params', '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert 'WARNING: subjects S1 were also in the training set' in proc.stdout
    made = [p for p in set(os.listdir(run)) - before if p.endswith('_results.json')]
    assert len(made) == 1, made
    results = json.load(open(run / made[0]))
    assert results['trained_on'] == [1]
    assert '**Training-set error**' in open(run / made[0].replace('.json', '.md')).read()


def test_a_key_given_twice_is_refused(tmp_path):
    path = write_yaml(tmp_path / 'dup.yaml', 'TRAIN:\n  end_epoch: 1\nTRAIN:\n  end_epoch: 200\n')
    with pytest.raises(PoseError, match='line 3: key TRAIN given twice'):
        load_config(path)
    path = write_yaml(tmp_path / 'dup2.yaml', 'TRAIN:\n  lr: 0.1\n  lr: 0.2\n')
    with pytest.raises(PoseError, match='line 3: key lr given twice'):
        load_config(path)


def test_test_every_beyond_the_recordings_is_refused_and_json_stays_valid(tmp_path, trained_run):
    cfg = write_yaml(tmp_path / 'every.yaml', 'TEST:\n  every: 1000\n')
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   os.path.join(trained_run['run'], 'Model_epoch6.params'), '--cfg', cfg)
    one_line_error(proc, 'TEST.every 1000', 'keeps one frame of each recording')
    write_json({'a': float('nan'), 'b': [float('inf'), 1.5]}, str(tmp_path / 'x.json'))
    assert json.loads((tmp_path / 'x.json').read_text()) == {'a': None, 'b': [None, 1.5]}


def test_a_network_too_big_for_the_machine_is_refused_before_anything(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'big.yaml', 'NETWORK:\n  linear_size: 65536\n')
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset, '--cfg', cfg)
    one_line_error(proc, 'NETWORK.linear_size 65536', 'more than the')
    assert not (tmp_path / 'output').exists()


def test_the_python_api_checks_its_arguments(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    lifter = Lifter.load(model)
    pose = np.zeros((3, 17, 2))
    misspelt = list(LAYOUTS['coco'])
    misspelt[misspelt.index('LKnee')] = 'Knee_L2'
    calls = [
        (lambda: lifter.predict(pose, flip=True), 'centre: flip mirrors'),
        (lambda: lifter.predict(pose, centre=np.zeros((2, 2)), flip=True), 'centre: expected (3, 2)'),
        (lambda: score(np.zeros((3, 17, 3)), np.zeros((4, 17, 3)), np.zeros((3, 5))),
         'expected the same number of frames'),
        (lambda: score(np.zeros((3, 17, 3)), np.zeros((3, 17, 3)), np.zeros((3, 4))),
         'ids: expected shape'),
        (lambda: score(np.zeros((0, 17, 3)), np.zeros((0, 17, 3)), np.zeros((0, 5))),
         'at least one'),
        (lambda: lifter.evaluate({'pose2d': pose}), 'data: expected the dataset arrays'),
        (lambda: Lifter.load(trained_run['run']), 'a folder; give the .params file'),
        (lambda: Lifter.load(model, device='gpu:0'), "device 'gpu:0': MXNet sees no GPU"),
        (lambda: Lifter.load(model, cfg_files='x.yaml'), 'cfg_files: expected a list'),
        (lambda: lifter.lift(np.zeros((3, 17, 3)), max_missing=-1), 'max_missing'),
        (lambda: lifter.lift(np.zeros((3, 17, 3)), max_missing=16), 'max_missing'),
        (lambda: lifter.lift(np.zeros((3, 17, 3)), min_confidence=2), 'min_confidence'),
        (lambda: lifter.lift(np.zeros((3, 3, 3)), layout=('Foo', 'Bar', 'Baz')),
         'name no body joint'),
        # A misspelt keypoint name whose joint is then missing in every frame.
        (lambda: lifter.lift(np.zeros((3, 17, 3)), layout=misspelt),
         "layout: keypoint name 'Knee_L2' is not a keypoint this project knows, and LKnee cannot "
         "be made without it"),
        (lambda: lifter.lift_file(tmp_path / 'x.json', person='some'), 'person'),
        (lambda: device_context('tpu'), 'expected cpu, gpu'),
    ]
    for call, message in calls:
        with pytest.raises(PoseError, match=message.replace('(', '\\(').replace(')', '\\)')):
            call()
