"""The camera-free input space: the same pose through any camera gives the same network input,
and a camera-free run's evaluation, inference, API and ONNX export agree."""
import json
import os

import numpy as np
import pytest

from config import load_config
from lib.codec import FREE_SPREAD, encode_inputs, to_frame
from lib.core import h36m
from lib.core.errors import PoseError
from lib.data import synthetic
from lib.core.resources import DEFAULT_CAMERAS
from lib.data.cameras import load_h36m_cameras, project, world_to_camera
from lib.data.dataset import load_subjects
from lib.infer.lifter import Lifter
from tests.conftest import run_cli, write_yaml


def _camera_poses():
    """One synthetic recording seen by Human3.6M's camera 1 of S9: camera-frame 3D (N, 17, 3)."""
    world = synthetic.sequence(9, 14, 1, 20, 0)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    cam = load_h36m_cameras(DEFAULT_CAMERAS)[9][0]
    return world_to_camera(world, cam['R'], cam['T']), cam


def other_camera(pose3d, focal=(1145.04940459, 1143.78109572)):
    """The same 3D poses through another camera: a focal length 1.31 times `focal` (camera 1's
    of Human3.6M by default: the same aspect), a 1920 x 1080 frame, the person far off centre
    (the principal point moved)."""
    return project(pose3d, 1.31 * np.asarray(focal), np.array([1500.0, 250.0]))


def test_the_transform_and_its_frame():
    pose = np.random.default_rng(0).normal(500, 80, (6, 17, 2))
    out = to_frame(pose, np.zeros(2), FREE_SPREAD)
    np.testing.assert_allclose(out[:, h36m.ROOT], 0, atol=1e-9)
    inputs = out[:, h36m.INPUT_JOINTS]
    spread = np.sqrt(((inputs - inputs.mean(axis=1, keepdims=True)) ** 2).sum(-1).mean(-1))
    np.testing.assert_allclose(spread, FREE_SPREAD, rtol=1e-9)
    # Scale and position in the image change nothing.
    moved = pose * 2.5 + np.array([-700.0, 320.0])
    np.testing.assert_allclose(encode_inputs(moved, 'camera_free'),
                               encode_inputs(pose, 'camera_free'), atol=1e-4)
    # The pixel space is the plain selection of the 16 inputs.
    np.testing.assert_array_equal(encode_inputs(pose, 'pixel'),
                                  pose[:, h36m.INPUT_JOINTS].reshape(6, -1).astype(np.float32))
    with pytest.raises(PoseError, match='input space'):
        encode_inputs(pose, 'metric')


def test_the_same_pose_through_two_cameras_is_one_input():
    pose3d, cam = _camera_poses()
    own = project(pose3d, cam['f'], cam['c'])
    other = other_camera(pose3d, cam['f'])
    assert np.abs(own - other).max() > 100                        # really another image
    np.testing.assert_allclose(encode_inputs(other, 'camera_free'),
                               encode_inputs(own, 'camera_free'), atol=1e-3)


def test_the_option_is_checked_and_kept(tmp_path):
    bad = write_yaml(tmp_path / 'bad.yaml', 'NETWORK:\n  input_space: metric\n')
    with pytest.raises(PoseError, match='NETWORK.input_space: expected one of pixel, camera_free'):
        load_config(bad)


@pytest.fixture(scope='module')
def free_run(tmp_path_factory):
    base = tmp_path_factory.mktemp('free')
    data = base / 'data'
    synthetic.generate(str(data), frames=24, seed=1)
    cfg = write_yaml(base / 'free.yaml', 'NETWORK:\n  linear_size: 128\n  input_space: camera_free\n'
                     'TRAIN:\n  end_epoch: 3\nTEST:\n  batchsize: 500\n')
    proc = run_cli('train.py', '--root', base / 'root', '--dataset', data, '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-2000:]
    model_dir = base / 'root' / 'output' / 'model'
    run = model_dir / os.listdir(model_dir)[0]
    return {'data': str(data), 'root': str(base / 'root'), 'run': run,
            'model': str(run / 'Model_epoch3.params')}


def test_a_camera_free_run_agrees_everywhere(tmp_path, free_run):
    assert 'input_space: camera_free' in (free_run['run'] / 'hyperParams.yaml').read_text()
    lifter = Lifter.load(free_run['model'])
    test = load_subjects(free_run['data'], [9])
    own = lifter.predict(test['pose2d'])
    # The same poses through another camera: the same predictions. (Test data of camera 1 only:
    # each Human3.6M camera has its own small difference between fx and fy.)
    test = {k: v[test['ids'][:, 3] == 1] for k, v in test.items() if k in ('pose2d', 'pose3d')}
    own = lifter.predict(test['pose2d'])
    other = other_camera(test['pose3d'].astype(np.float64)).astype(np.float32)
    np.testing.assert_allclose(lifter.predict(other), own, atol=1e-2)
    # test.py scores what Lifter predicts.
    proc = run_cli('test.py', '--root', free_run['root'], '--dataset', free_run['data'],
                   '--model', free_run['model'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.load(open(free_run['model'][:-7] + '_results.json'))
    from lib.infer.lifter import score
    test_all = load_subjects(free_run['data'], [9, 11])
    again = score(lifter.predict(test_all['pose2d']), test_all['pose3d'], test_all['ids'])
    assert again['protocol1']['Average'] == pytest.approx(results['protocol1']['Average'], abs=1e-3)
    # infer.py on the other camera's pixels (no rescaling: moot) gives the same poses.
    np.save(tmp_path / 'kp.npy', other[:40])
    out = tmp_path / 'o.json'
    proc = run_cli('infer.py', '--model', free_run['model'], '--input', tmp_path / 'kp.npy',
                   '--format', 'h36m', '--output', out, '--rescale', 'yes', '--onnx',
                   tmp_path / 'm.onnx')
    assert proc.returncode == 0, proc.stderr[-2000:]
    lifted = np.load(tmp_path / 'o_3d.npy')[0]
    np.testing.assert_allclose(lifted, own[:40], atol=1e-2)
    assert json.load(open(out))['rescaled_2d'] is False
    # The ONNX export takes any camera's raw pixels too.
    import onnxruntime
    session = onnxruntime.InferenceSession(str(tmp_path / 'm.onnx'))
    flat = other[:40][:, h36m.INPUT_JOINTS].reshape(40, -1).astype(np.float32)
    y = session.run(None, {session.get_inputs()[0].name: flat})[0]
    np.testing.assert_allclose(y.reshape(40, 16, 3), own[:40, 1:], atol=1e-2)
