"""Every Human3.6M source gives the same arrays; detections as 2D input; their errors."""
import json
import os

import numpy as np
import pytest

from config import default_config
from lib import synthetic
from lib.dataset import load_dataset
from lib.errors import PoseError
from lib.sources import apply_detections, load_pickled_npz, number_subactions, parse_action_name
from tests.conftest import TINY_NET, run_cli, write_yaml


@pytest.fixture(scope='module')
def all_formats(tmp_path_factory):
    root = tmp_path_factory.mktemp('formats')
    synthetic.generate(str(root), frames=12, seed=3, formats=synthetic.FORMATS,
                       detections_name='det')
    return str(root)


def dataset_cfg(source, **kw):
    cfg = default_config().DATASET
    cfg.source = source
    cfg.update(kw)
    return cfg


@pytest.mark.parametrize('source', ['videopose3d', 'cdf', 'h5'])
def test_every_reader_gives_the_annotation_arrays(all_formats, source):
    ref = load_dataset(all_formats, [1, 9], dataset_cfg('annot'))
    got = load_dataset(all_formats, [1, 9], dataset_cfg(source))
    np.testing.assert_array_equal(got['ids'], ref['ids'])
    np.testing.assert_allclose(got['pose3d'], ref['pose3d'], atol=2e-3)
    np.testing.assert_allclose(got['pose2d'], ref['pose2d'], atol=2e-3)
    np.testing.assert_allclose(got['centre'], ref['centre'], atol=1e-4)


def test_distortion_through_a_world_source(all_formats):
    plain = load_dataset(all_formats, [9], dataset_cfg('h5'))
    dist = load_dataset(all_formats, [9], dataset_cfg('h5', distortion=True))
    ref = load_dataset(all_formats, [9], dataset_cfg('annot', distortion=True))
    np.testing.assert_allclose(dist['pose2d'], ref['pose2d'], atol=2e-3)
    assert np.abs(dist['pose2d'] - plain['pose2d']).max() > 1.0


def test_action_names():
    assert parse_action_name('Directions 1') == (2, 1)
    assert parse_action_name('TakingPhoto') == (12, 0)
    assert parse_action_name('WalkingDog 2') == (15, 2)
    assert number_subactions(['Discussion 2', 'Discussion 3', 'Photo'], 'x') == {
        'Discussion 2': (3, 1), 'Discussion 3': (3, 2), 'Photo': (12, 1)}
    with pytest.raises(PoseError, match="'Dancing' is not"):
        number_subactions(['Dancing'], 'x')


def test_detections_replace_the_2d_and_are_cut_to_the_3d(all_formats):
    gt = load_dataset(all_formats, [9, 11], dataset_cfg('annot'))
    det = load_dataset(all_formats, [9, 11], dataset_cfg('videopose3d'), input_2d='det')
    np.testing.assert_array_equal(det['pose3d'], load_dataset(all_formats, [9, 11], dataset_cfg('videopose3d'))['pose3d'])
    err = np.linalg.norm(det['pose2d'] - gt['pose2d'], axis=-1)
    assert 2 < np.median(err) < 10          # realistic detector noise, in pixels
    assert err.max() > 20                    # and some gross errors
    # The file's sequences are 5 frames longer than the 3D: cut, frame by frame.
    raw = load_pickled_npz(os.path.join(all_formats, 'data_2d_h36m_det.npz'), 'positions_2d')
    assert len(raw['S9']['Directions'][0]) == 12 + 5
    rows = np.flatnonzero((det['ids'][:, 0] == 9) & (det['ids'][:, 1] == 2)
                          & (det['ids'][:, 2] == 1) & (det['ids'][:, 3] == 3))
    np.testing.assert_allclose(det['pose2d'][rows], raw['S9']['Directions'][2][:12])


def _broken_detections(tmp_path, all_formats, change):
    raw = load_pickled_npz(os.path.join(all_formats, 'data_2d_h36m_det.npz'), 'positions_2d')
    change(raw)
    np.savez(tmp_path / 'data_2d_h36m_bad.npz', positions_2d=np.array(raw, dtype=object))
    data = load_dataset(all_formats, [9, 11], dataset_cfg('annot'))
    return lambda: apply_detections(data, str(tmp_path), 'bad', [9, 11])


def test_detection_file_errors_name_subject_and_action(tmp_path, all_formats):
    def missing_subject(raw):
        del raw['S11']

    def wrong_joints(raw):
        raw['S9']['Eating 1'][2] = raw['S9']['Eating 1'][2][:, :16]

    def too_short(raw):
        raw['S11']['Walking'] = [a[:7] for a in raw['S11']['Walking']]

    def missing_action(raw):
        del raw['S9']['Greeting']

    cases = [(missing_subject, 'subject S11 missing'),
             (wrong_joints, 'S9 Eating 1 camera 3: shape (17, 16, 2), expected (N, 17, 2)'),
             (too_short, 'S11 Walking camera 1: 7 frames, shorter than the 12 of the 3D'),
             (missing_action, 'S9 Greeting (subaction 2) missing')]
    for change, message in cases:
        with pytest.raises(PoseError, match=message.replace('(', '\\(').replace(')', '\\)')) as e:
            _broken_detections(tmp_path, all_formats, change)()
        assert 'data_2d_h36m_bad.npz' in str(e.value) and '\n' not in str(e.value)


def test_missing_source_files(tmp_path):
    with pytest.raises(PoseError, match='no cdf files here'):
        load_dataset(str(tmp_path), [9], dataset_cfg('cdf'))


def test_train_and_test_on_detections_is_worse_than_on_ground_truth(tmp_path_factory):
    root = tmp_path_factory.mktemp('det_e2e')
    data = root / 'data'
    synthetic.generate(str(data), frames=24, seed=1, formats=('videopose3d',), detections_name='det')
    results = {}
    for name, extra in (('gt', ''), ('det', "  train_2d: det\n  test_2d: det\n")):
        cfg = write_yaml(root / (name + '.yaml'), TINY_NET % 6 + 'DATASET:\n  source: videopose3d\n' + extra)
        out = root / name
        proc = run_cli('train.py', '--root', out, '--dataset', data, '--cfg', cfg)
        assert proc.returncode == 0, proc.stderr[-2000:]
        run = out / 'output' / 'model' / os.listdir(out / 'output' / 'model')[0]
        proc = run_cli('test.py', '--root', out, '--dataset', data, '--model', run / 'Model_epoch6.params')
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[name] = json.load(open(run / 'Model_epoch6_results.json'))
        assert results[name]['frames']['All frames'] == 2 * 15 * 2 * 4 * 24
    assert results['det']['protocol1']['All frames'] > results['gt']['protocol1']['All frames'] + 2
    assert results['det']['protocol2']['All frames'] > results['gt']['protocol2']['All frames']


@pytest.mark.parametrize('source', ['cdf', 'h5'])
def test_train_and_test_run_on_a_world_source(tmp_path, all_formats, source):
    cfg = write_yaml(tmp_path / 'c.yaml', TINY_NET % 1 + 'DATASET:\n  source: %s\n' % source)
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', all_formats, '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = tmp_path / 'output' / 'model' / os.listdir(tmp_path / 'output' / 'model')[0]
    assert 'source: %s' % source in open(run / 'hyperParams.yaml').read()
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', all_formats, '--model',
                   run / 'Model_epoch1.params')
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.load(open(run / 'Model_epoch1_results.json'))
    assert results['frames']['All frames'] == 2 * 15 * 2 * 4 * 12
