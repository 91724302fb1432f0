"""Other bodies and other joint definitions made from motion capture (lib.data.mocap.bodies):
the 2D stays the projection of the 3D, the ranges hold, the same seed gives the same samples,
each test placement moves what it names; the split by source."""
import os
import shutil

import numpy as np
import pytest

import config
from lib.core import h36m
from lib.data.dataset import load_split
from lib.data.mocap import bodies
from lib.data.mocap.take import read_take
from lib.data.synthetic.generator import write_bvh_takes

J = bodies.J


@pytest.fixture(scope='module')
def bvh_folder(tmp_path_factory):
    """The synthetic motion of subjects 1 and 9 as BVH (CMU's naming), and subject 5's as a
    studio's files named otherwise (source 'studio')."""
    root = tmp_path_factory.mktemp('bodies')
    write_bvh_takes(str(root), 40, 0, (1, 5, 9))
    studio = root / 'bvh' / 'studio'
    studio.mkdir()
    for k, path in enumerate(sorted((root / 'bvh' / 'S5').iterdir())[:4]):
        shutil.copy(path, studio / ('take%d.bvh' % k))
    shutil.rmtree(root / 'bvh' / 'S5')
    return str(root / 'bvh')


def dataset_cfg(**changes):
    cfg = config.default_config().DATASET
    cfg.update(source='mocap', mocap_test=['09'], mocap_cameras='random', mocap_views=2)
    cfg.update(changes)
    return cfg


def a_take(folder):
    return read_take(os.path.join(folder, 'S1', sorted(os.listdir(os.path.join(folder, 'S1')))[0]))


def implied_focal(data):
    """(u - cx) z / x and (v - cy) z / y of every joint far enough from the optical axis: one
    number a view when the 2D is the pinhole projection of the 3D."""
    xy, z = data['pose3d'][..., :2], data['pose3d'][..., 2:]
    offset = data['pose2d'] - data['centre'][:, None]
    far = np.abs(xy) > 100
    return np.where(far, offset * z / np.where(far, xy, 1), np.nan)


def test_varied_bodies_keep_the_2d_the_projection_of_the_3d(bvh_folder):
    captured = load_split(bvh_folder, 'train', dataset_cfg())
    varied = load_split(bvh_folder, 'train', dataset_cfg(mocap_bodies='varied'))
    assert varied['pose3d'].shape == captured['pose3d'].shape
    assert np.abs(varied['pose3d'] - captured['pose3d']).max() > 50      # other bodies ...
    focal_c, focal_v = implied_focal(captured), implied_focal(varied)
    view = varied['ids'][:, :4]
    for key in np.unique(view, axis=0)[:6]:
        rows = np.all(view == key, axis=1)
        spread = np.nanmax(focal_v[rows]) - np.nanmin(focal_v[rows])
        assert spread < 1e-2 * np.nanmean(focal_v[rows])               # ... seen by one camera,
        assert np.isclose(np.nanmean(focal_v[rows]), np.nanmean(focal_c[rows]), rtol=1e-3)
    again = load_split(bvh_folder, 'train', dataset_cfg(mocap_bodies='varied'))
    assert all(np.array_equal(again[k], varied[k]) for k in ('pose3d', 'pose2d'))  # same seed


def test_draws_stay_in_their_ranges_and_each_part_does_what_it_says(bvh_folder):
    rng = np.random.default_rng(0)
    ranges = dict(bodies.PLACEMENT_RANGES, **bodies.PROPORTION_RANGES)
    draws = [bodies.draw_body(rng) for _ in range(200)]
    for name, (low, high) in ranges.items():
        values = [d[name] for d in draws]
        assert low <= min(values) and max(values) <= high and max(values) - min(values) > 0
    poses = a_take(bvh_folder).poses
    body = draws[0]
    placed = bodies.place_joints(poses, body)
    trunk = np.linalg.norm(poses[:, J['Thorax']] - poses[:, J['Hip']], axis=-1)
    head = np.linalg.norm(placed[:, J['Head']] - placed[:, J['Thorax']], axis=-1)
    np.testing.assert_allclose(head, body['head'] * trunk, rtol=1e-6)
    np.testing.assert_allclose(placed[:, J['Neck/Nose']], placed[:, J['Thorax']] + body['neck_nose']
                               * (placed[:, J['Head']] - placed[:, J['Thorax']]), atol=1e-6)
    for joint in ('RKnee', 'LWrist', 'RElbow', 'LShoulder', 'Hip'):      # skeleton joints stay
        np.testing.assert_array_equal(placed[:, J[joint]], poses[:, J[joint]])
    assert 'stature' not in body                  # drawn bodies keep the performer's size...
    for stature, drawn in ((1.0, body), (1.1, dict(body, stature=1.1))):   # ...a given one is read
        scaled = bodies.scale_bones(poses, drawn)
        for (parent, child), part in bodies.BONE_PROPORTIONS.items():
            ratio = (np.linalg.norm(scaled[:, child] - scaled[:, parent], axis=-1)
                     / np.linalg.norm(poses[:, child] - poses[:, parent], axis=-1))
            np.testing.assert_allclose(ratio, stature * body[part], rtol=1e-6)
    reshaped = bodies.reshape(poses, body)
    assert np.isclose(reshaped[..., 2].min(), poses[..., 2].min(), atol=1e-3)   # on the floor


@pytest.mark.parametrize('placement, moved', [
    ('eyes', {'Head', 'Neck/Nose'}), ('joint_hips', {'RHip', 'LHip'}),
    ('shoulder_thorax', {'Thorax'}), ('detector', {'Head', 'Neck/Nose', 'Thorax'}),
])
def test_each_test_placement_moves_what_it_names(bvh_folder, placement, moved):
    poses = a_take(bvh_folder).poses
    placed = bodies.reshape(poses, bodies.PLACEMENTS[placement])
    changed = {name for name, k in J.items() if np.abs(placed[:, k] - poses[:, k]).max() > 1e-3}
    assert changed == moved
    if placement == 'shoulder_thorax':
        mid = (poses[:, J['LShoulder']] + poses[:, J['RShoulder']]) / 2
        np.testing.assert_allclose(placed[:, J['Thorax']], mid, atol=1e-3)


def test_joint_bias_is_fixed_over_a_view_and_sized_by_the_person():
    rng = np.random.default_rng(1)
    pose2d = rng.uniform(0, 200, size=(50, h36m.NUM_JOINTS, 2)).astype(np.float32)
    pose2d[:, J['Head'], 1], pose2d[:, J['RFoot'], 1] = -10, 390            # 400 px tall
    shifted = bodies.joint_bias(pose2d, 0.05, np.random.default_rng(2))
    offsets = shifted - pose2d
    assert np.allclose(offsets, offsets[0], atol=1e-3)                       # the same each frame
    assert 5 < np.std(offsets[0]) < 40                                       # about 5 % of 400 px
    assert bodies.joint_bias(pose2d, 0.0, rng) is pose2d


def test_the_split_by_source(bvh_folder):
    cfg = dataset_cfg(mocap_test=[], mocap_test_sources=['studio'])
    test = load_split(bvh_folder, 'test', cfg)
    train = load_split(bvh_folder, 'train', cfg)
    assert set(test['rec_names']) == {'studio/take%d.bvh' % k for k in range(4)}
    assert not any(name.startswith('studio/') for name in train['rec_names'])
    both = load_split(bvh_folder, 'test', dataset_cfg(mocap_test_sources=['studio']))
    assert len(both['rec_names']) == len(test['rec_names']) + len(
        [n for n in train['rec_names'] if n.startswith('S9/')])


def test_one_part_at_a_time_and_placements_only_in_the_test_split(bvh_folder):
    rng = np.random.default_rng(3)
    assert set(bodies.draw_body(rng, 'placement')) == set(bodies.PLACEMENT_RANGES)
    assert set(bodies.draw_body(rng, 'proportions')) == set(bodies.PROPORTION_RANGES)
    cfg = dataset_cfg(mocap_test_placement='eyes')
    captured = load_split(bvh_folder, 'test', dataset_cfg())
    eyes = load_split(bvh_folder, 'test', cfg)
    moved = np.abs(eyes['pose3d'] - captured['pose3d']).max(axis=(0, 2))
    assert set(np.flatnonzero(moved > 1e-3)) == {J['Head'], J['Neck/Nose']}
    train = load_split(bvh_folder, 'train', cfg)            # training views stay as captured
    assert np.array_equal(train['pose3d'], load_split(bvh_folder, 'train', dataset_cfg())['pose3d'])
