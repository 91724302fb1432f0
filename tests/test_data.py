"""Annotation parsing, cameras and projection, the dataset arrays and their cache."""
import logging
import os

import numpy as np
import pytest

from lib.core.resources import DEFAULT_CAMERAS
from lib.data import cameras

from lib.core import h36m
from lib.data.h36m import annotation

from lib.data import synthetic
from lib.data.dataset import load_subjects
from lib.core.errors import PoseError
from lib.codec import (compute_stats, network_inputs, network_targets, normalize,
                               unnormalize)


def test_parser_reads_back_what_the_generator_wrote(tmp_path):
    poses = synthetic.sequence(9, 4, 2, 30, seed=3)
    cam = cameras.load_h36m_cameras(DEFAULT_CAMERAS)[9][2]
    path = str(tmp_path / 'matlab_meta.txt')
    annotation.write_annotation(path, poses, cam)
    ann = annotation.parse_annotation(path)
    assert ann['poses'].shape == (30, 32, 3)
    np.testing.assert_allclose(ann['poses'], poses, atol=6e-4)
    np.testing.assert_allclose(ann['R'], cam['R'], atol=1e-8)
    np.testing.assert_allclose(ann['T'], cam['T'], atol=1e-5)
    np.testing.assert_allclose(ann['f'], cam['f'], atol=1e-5)
    np.testing.assert_array_equal(ann['joints'], np.array(h36m.JOINTS_17_OF_32) - 1)
    assert (ann['width'], ann['height']) == (cam['width'], cam['height'])


def test_projection_by_hand():
    point = np.array([[100.0, -200.0, 2000.0]])
    uv = cameras.project(point, np.array([1000.0, 1200.0]), np.array([500.0, 510.0]))
    np.testing.assert_allclose(uv, [[1000 * 0.05 + 500, 1200 * -0.1 + 510]])


def test_distortion_by_hand():
    point = np.array([200.0, 100.0, 1000.0])
    k, p = (0.1, 0.01, 0.001), (0.002, 0.003)
    x, y = 0.2, 0.1
    r2 = x * x + y * y
    radial = 1 + 0.1 * r2 + 0.01 * r2 ** 2 + 0.001 * r2 ** 3
    tan = 0.002 * y + 0.003 * x
    xd, yd = x * (radial + tan) + 0.003 * r2, y * (radial + tan) + 0.002 * r2
    uv = cameras.project(point, np.array([1000.0, 1000.0]), np.array([500.0, 500.0]), k, p)
    np.testing.assert_allclose(uv, [1000 * xd + 500, 1000 * yd + 500])


def test_world_to_camera_by_hand():
    # A camera at (0, -3000, 1000) looking along world +y, with image y pointing down (-z).
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    pos = np.array([0.0, -3000.0, 1000.0])
    cam = cameras.world_to_camera(np.array([[100.0, 0.0, 1500.0]]), rot, pos)
    np.testing.assert_allclose(cam, [[100.0, -500.0, 3000.0]])
    np.testing.assert_allclose(cameras.camera_to_world(cam, rot, pos), [[100.0, 0.0, 1500.0]])


def test_real_cameras_see_the_capture_area():
    cams = cameras.load_h36m_cameras(DEFAULT_CAMERAS)
    assert sorted(cams) == list(h36m.SUBJECTS)
    for subject in cams.values():
        for cam in subject:
            np.testing.assert_allclose(cam['R'] @ cam['R'].T, np.eye(3), atol=1e-6)
            assert np.linalg.det(cam['R']) == pytest.approx(1.0, abs=1e-6)
            centre = cameras.world_to_camera(np.array([0.0, 0.0, 1000.0]), cam['R'], cam['T'])
            uv = cameras.project(centre, cam['f'], cam['c'])
            assert centre[2] > 2000 and np.all((uv > 0) & (uv < 1000))


def test_dataset_arrays_match_a_direct_computation(small_dataset):
    data = load_subjects(small_dataset, [9])
    assert data['pose3d'].shape == (120 * 8, 17, 3) and data['pose2d'].shape == (960, 17, 2)
    assert data['ids'].shape == (960, 5)
    # One row, computed by hand from the generator's world pose and the real camera.
    row = np.flatnonzero((data['ids'][:, 1] == 7) & (data['ids'][:, 2] == 2)
                         & (data['ids'][:, 3] == 3) & (data['ids'][:, 4] == 5))[0]
    world = synthetic.sequence(9, 7, 2, 8, seed=0)[5, np.array(h36m.JOINTS_17_OF_32) - 1]
    cam = cameras.load_h36m_cameras(DEFAULT_CAMERAS)[9][2]
    expect3d = (world - cam['T']) @ cam['R'].T
    np.testing.assert_allclose(data['pose3d'][row], expect3d, atol=5e-3)
    expect2d = expect3d[:, :2] / expect3d[:, 2:] * cam['f'] + cam['c']
    np.testing.assert_allclose(data['pose2d'][row], expect2d, atol=5e-3)


def test_inputs_and_targets_selection():
    pose2d = np.arange(17 * 2, dtype=np.float32).reshape(1, 17, 2)
    pose3d = np.arange(17 * 3, dtype=np.float32).reshape(1, 17, 3) + 5
    x = network_inputs(pose2d)
    y = network_targets(pose3d)
    assert x.shape == (1, 32) and y.shape == (1, 48)
    assert 18.0 not in x and 19.0 not in x            # Neck/Nose (joint 9) left out
    np.testing.assert_array_equal(y.reshape(16, 3), pose3d[0, 1:] - pose3d[0, 0])


def test_normalise_then_unnormalise_returns_the_input():
    rng = np.random.default_rng(0)
    x = rng.normal(300, 80, size=(500, 32))
    y = rng.normal(0, 400, size=(500, 48))
    stats = compute_stats(x, y)
    z = normalize(x, stats['mean2d'], stats['std2d'])
    assert abs(z.mean()) < 1e-4 and abs(z.std() - 1) < 1e-3
    np.testing.assert_allclose(unnormalize(z, stats['mean2d'], stats['std2d']), x, atol=1e-3)
    np.testing.assert_allclose(
        unnormalize(normalize(y, stats['mean3d'], stats['std3d']), stats['mean3d'],
                    stats['std3d']), y, atol=1e-3)


def test_generator_same_seed_same_files(tmp_path):
    synthetic.generate(str(tmp_path / 'a'), frames=5, seed=4, subjects=[5])
    synthetic.generate(str(tmp_path / 'b'), frames=5, seed=4, subjects=[5])
    synthetic.generate(str(tmp_path / 'c'), frames=5, seed=5, subjects=[5])
    name = annotation.folder_name(5, 9, 1, 2)
    read = lambda d: open(annotation.annotation_path(str(tmp_path / d), name)).read()
    assert read('a') == read('b')
    assert read('a') != read('c')


def test_generator_is_smooth_and_varies_by_subject():
    for action in h36m.ACTION_IDS:
        p = synthetic.sequence(1, action, 1, 300, seed=0)
        step = np.linalg.norm(np.diff(p, axis=0), axis=-1)
        assert step.max() < 100                       # mm per frame at 50 fps: under 5 m/s
        assert np.abs(np.diff(p[:, 0, 2])).max() < 10  # the pelvis does not jump up or down
        assert p[..., 2].min() > -1                   # nothing under the floor
    a = synthetic.sequence(1, 14, 1, 100, seed=0)
    b = synthetic.sequence(11, 14, 1, 100, seed=0)
    height = lambda p: p[:, 15, 2].mean() - p[:, 3, 2].mean()
    assert abs(height(a) - height(b)) > 10
    # Sitting lowers the pelvis, walking moves the body about the room.
    sitting = synthetic.sequence(1, 9, 1, 100, seed=0)
    assert sitting[:, 0, 2].mean() < a[:, 0, 2].mean() - 250
    assert np.ptp(a[:, 0, :2], axis=0).max() > 1000


def test_cache_is_used_and_invalidated_by_a_changed_file(tmp_path, caplog):
    synthetic.generate(str(tmp_path / 'd'), frames=4, seed=0, subjects=[9])
    cache = str(tmp_path / 'cache')
    first = load_subjects(str(tmp_path / 'd'), [9], cache_dir=cache)
    assert len(os.listdir(cache)) == 1
    with caplog.at_level(logging.INFO):
        again = load_subjects(str(tmp_path / 'd'), [9], cache_dir=cache)
    assert 'from cache' in caplog.text
    np.testing.assert_array_equal(first['pose3d'], again['pose3d'])
    # Change one source file: the cache must not be served.
    path = annotation.annotation_path(str(tmp_path / 'd'), annotation.folder_name(9, 2, 1, 1))
    lines = open(path).read().split('\n')
    lines[9] = 'pose ' + ' '.join(['1000.0'] * 96)
    open(path, 'w').write('\n'.join(lines))
    changed = load_subjects(str(tmp_path / 'd'), [9], cache_dir=cache)
    assert not np.allclose(changed['pose3d'][0], first['pose3d'][0])
    # A distortion option changes the 2D arrays and must not share the cache either.
    distorted = load_subjects(str(tmp_path / 'd'), [9], distortion=True, cache_dir=cache)
    assert not np.allclose(distorted['pose2d'], changed['pose2d'])


def test_altered_cache_is_rebuilt(tmp_path, caplog):
    synthetic.generate(str(tmp_path / 'd'), frames=4, seed=0, subjects=[11])
    cache = str(tmp_path / 'cache')
    good = load_subjects(str(tmp_path / 'd'), [11], cache_dir=cache)
    path = os.path.join(cache, os.listdir(cache)[0])
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays['pose3d'] = arrays['pose3d'] + 1
    np.savez(path, **arrays)
    with caplog.at_level(logging.WARNING):
        data = load_subjects(str(tmp_path / 'd'), [11], cache_dir=cache)
    assert 'rebuilding' in caplog.text
    np.testing.assert_array_equal(data['pose3d'], good['pose3d'])
    open(path, 'wb').write(b'truncated')
    data = load_subjects(str(tmp_path / 'd'), [11], cache_dir=cache)
    np.testing.assert_array_equal(data['pose3d'], good['pose3d'])


@pytest.mark.parametrize('line, message', [
    (9, 'line 10: expected a label and 96 numbers'),
    (0, 'line 1 announces'),
])
def test_malformed_annotation_names_file_and_line(tmp_path, line, message):
    path = tmp_path / 'matlab_meta.txt'
    annotation.write_annotation(str(path), synthetic.sequence(1, 2, 1, 3, 0),
                               cameras.load_h36m_cameras(DEFAULT_CAMERAS)[1][0])
    lines = path.read_text().split('\n')
    lines[line] = 'pose 1 2 3' if line == 9 else '7'
    path.write_text('\n'.join(lines))
    with pytest.raises(PoseError, match=message) as err:
        annotation.parse_annotation(str(path))
    assert str(path) in str(err.value) and '\n' not in str(err.value)


def test_non_number_and_nan_in_a_pose_line(tmp_path):
    path = tmp_path / 'matlab_meta.txt'
    annotation.write_annotation(str(path), synthetic.sequence(1, 2, 1, 3, 0),
                               cameras.load_h36m_cameras(DEFAULT_CAMERAS)[1][0])
    lines = path.read_text().split('\n')
    tokens = lines[10].split()
    tokens[5] = 'abc'
    path.write_text('\n'.join(lines[:10] + [' '.join(tokens)] + lines[11:]))
    with pytest.raises(PoseError, match='line 11'):
        annotation.parse_annotation(str(path))
    tokens[5] = 'nan'
    path.write_text('\n'.join(lines[:10] + [' '.join(tokens)] + lines[11:]))
    with pytest.raises(PoseError, match='line 11: NaN'):
        annotation.parse_annotation(str(path))


def test_missing_folders_are_listed(tmp_path):
    synthetic.generate(str(tmp_path), frames=2, seed=0, subjects=[9])
    os.remove(annotation.annotation_path(str(tmp_path), annotation.folder_name(9, 5, 2, 4)))
    with pytest.raises(PoseError, match='1 of 120 annotation folders missing.*s_09_act_05_subact_02_ca_04'):
        load_subjects(str(tmp_path), [9])
