"""A folder of motion capture as a data source: the synthetic motion written as BVH, performers
and classes from names and takes.tsv, virtual cameras, the arrays of DATASET.source mocap, and
train.py / test.py over such a folder."""
import json
import os
import re

import numpy as np
import pytest
from easydict import EasyDict

import config
from lib.core import h36m
from lib.core.errors import PoseError
from lib.data.arrays import ARRAY_KEYS, id_names
from lib.data.cameras import project, world_to_camera
from lib.data.dataset import load_split
from lib.data.kinematics import compose, euler_zxy
from lib.data.mocap.take import read_take
from lib.data.mocap.folder import label_take, list_takes, read_index
from lib.data.synthetic.generator import sequence, write_bvh_takes
from lib.data.mocap.virtual_cameras import (DISTANCE_MM, look_at, random_camera, random_cameras,
                                      too_near)
from lib.eval.metrics import by_action
from lib.eval.report import format_markdown, summarize
from tests.conftest import TINY_NET, run_cli, write_yaml


@pytest.fixture(scope='module')
def bvh_folder(tmp_path_factory):
    """The synthetic motion of subjects 1 and 9 as BVH files (60 frames each)."""
    root = tmp_path_factory.mktemp('bvh')
    write_bvh_takes(str(root), 60, 0, (1, 9))
    return str(root / 'bvh')


def mocap_cfg(**changes):
    cfg = config.default_config()
    cfg.DATASET.source = 'mocap'
    cfg.DATASET.mocap_test = ['09']
    cfg.DATASET.update(changes)
    return cfg.DATASET


def test_euler_angles_give_the_rotation_back():
    angles = np.radians([[10, 20, 30], [-100, 80, 170], [179, -89, -179]])
    np.testing.assert_allclose(euler_zxy(compose('zxy', angles)), angles, atol=1e-9)


def test_the_synthetic_motion_written_as_bvh_reads_back_as_the_same_joints(bvh_folder):
    take = read_take(os.path.join(bvh_folder, 'S9', '09_141-Walking.bvh'))
    assert take.dropped == 1 and take.unit == 10.0 and take.rate == 50.0   # rest frame, cm
    world = sequence(9, 14, 1, 60, 0)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    error = np.linalg.norm(take.poses - world, axis=-1).max(axis=0)
    # Every joint that the skeleton has is where the synthetic skeleton put it; the hips,
    # Spine, Neck/Nose and the head are placed as Human3.6M places them, as for real motion
    # capture (lib.data.mocap.joints).
    derived = [h36m.JOINT_NAMES.index(name) for name in ('RHip', 'LHip', 'Spine', 'Neck/Nose',
                                                           'Head')]
    assert np.all(np.delete(error, derived) < 1e-3)
    assert np.all(error[derived] < 80)


def test_performers_and_classes_from_names_and_the_index(tmp_path):
    assert label_take('dance/HDM_bd_kickLFront1Reps_003_120.amc', {}) == (
        'HDM_bd', 'kickLFront1Reps', 120.0, 'HDM05')
    assert label_take('x/07_05-walk.amc', {}) == ('07', 'walk', None, 'CMU')
    assert label_take('09/09_06.bvh', {}) == ('09', 'unlabelled', None, 'CMU')
    assert label_take('martial/06.bvh', {}) == ('martial', 'unlabelled', None, 'martial')
    assert label_take('studio/walk.bvh', {})[3] == 'studio'
    assert label_take('walk.bvh', {})[3] == '.'
    (tmp_path / 'martial').mkdir()
    (tmp_path / 'martial' / '06.bvh').write_text('HIERARCHY')
    (tmp_path / 'takes.tsv').write_text('# a comment\nfile\tperformer\trate\tsource\n'
                                        'martial/06.bvh\t135\t60\tCMU\n')
    assert read_index(str(tmp_path)) == {'martial/06.bvh': {'performer': '135', 'rate': 60.0,
                                                            'source': 'CMU'}}
    assert list_takes(str(tmp_path))[0][2:] == ('135', 'unlabelled', 60.0, 'CMU')


@pytest.mark.parametrize('text, message', [
    ('name\tperformer\nmartial/06.bvh\t1\n', 'expected a header line'),
    ('file\trate\nmartial/06.bvh\t0\n', 'line 2: rate .0.: expected frames a second'),
    ('file\trate\nmartial/06.bvh\tfast\n', 'line 2: rate .fast.'),
    ('file\tperformer\nmartial/06.bvh\n', 'line 2: expected 2 tab-separated values'),
    ('file\tperformer\nmartial/07.bvh\t1\n', 'names martial/07.bvh, which is not a motion file'),
    ('file\tperformer\nmartial/06.bvh\t1\nmartial/06.bvh\t2\n', 'line 3: martial/06.bvh is listed twice'),
])
def test_a_bad_index_is_refused_naming_its_line(tmp_path, text, message):
    (tmp_path / 'martial').mkdir()
    (tmp_path / 'martial' / '06.bvh').write_text('HIERARCHY')
    (tmp_path / 'takes.tsv').write_text(text)
    with pytest.raises(PoseError, match=message):
        list_takes(str(tmp_path))


def test_look_at_and_random_cameras():
    position, target = np.array([4000.0, -3000.0, 1500.0]), np.array([0.0, 0.0, 900.0])
    rot = look_at(position, target)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    np.testing.assert_allclose(project(world_to_camera(target, rot, position), 1000.0,
                                       np.array([500.0, 500.0])), [500, 500], atol=1e-9)
    # Level: the camera's right axis is horizontal; 'down' points down.
    assert abs(rot[0, 2]) < 1e-12 and rot[1, 2] < 0
    # A person walking 1 m on the spot, seen by random cameras: in front, in range, in view.
    world = sequence(9, 2, 1, 50, 0)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    cams = random_cameras(world, 30, seed=5)
    assert [c['f'][0] for c in cams] == [c['f'][0] for c in random_cameras(world, 30, seed=5)]
    sizes = {(c['width'], c['height']) for c in cams}
    assert len(sizes) > 2 and len({round(c['f'][0]) for c in cams}) == 30
    for cam in cams:
        cam_frame = world_to_camera(world, cam['R'], cam['T'])
        assert not too_near(world, cam) and cam_frame[..., 2].min() > DISTANCE_MM[0] - 1500
        uv = project(cam_frame, cam['f'], cam['c'])
        inside = np.mean((uv >= 0) & (uv < [cam['width'], cam['height']]))
        assert inside > 0.97
    # The people are not all in the middle of the frame.
    middles = [np.mean(project(world_to_camera(world[:, 0], c['R'], c['T']), c['f'], c['c']),
                       axis=0) / [c['width'], c['height']] for c in cams]
    assert np.std(middles) > 0.03
    # Seen from any direction (azimuths spread over the circle).
    azimuths = [np.arctan2(c['T'][1] - world[:, 0, 1].mean(), c['T'][0] - world[:, 0, 0].mean())
                for c in cams]
    assert np.ptp(np.unwrap(np.sort(azimuths))) > np.pi
    rng = np.random.default_rng(0)
    assert random_camera(world, rng)['R'].shape == (3, 3)


def test_the_mocap_source_gives_the_arrays_of_every_source(bvh_folder, tmp_path):
    dataset_cfg = mocap_cfg(mocap_views=3)
    train = load_split(bvh_folder, 'train', dataset_cfg, str(tmp_path))
    test = load_split(bvh_folder, 'test', dataset_cfg, str(tmp_path))
    for data, performer in ((train, '01'), (test, '09')):
        assert data['pose3d'].shape[1:] == (17, 3) and data['pose2d'].shape[1:] == (17, 2)
        assert data['pose3d'].dtype == data['pose2d'].dtype == np.float32
        subjects, actions = id_names(data)
        assert {subjects[s] for s in np.unique(data['ids'][:, 0])} == {performer}
        assert set(actions.values()) == set(h36m.ACTIONS.values())
        assert sorted(np.unique(data['ids'][:, 3])) == [1, 2, 3]
        # 30 takes of 60 frames at 50 Hz (the rest frame dropped), 3 views each.
        assert len(data["ids"]) == 30 * 60 * 3 and len(data['rec_ids']) == 30
        # The 2D is the projection of the 3D: one focal length per view.
        focal = ((data['pose2d'][..., 0] - data['centre'][:, None, 0]) * data['pose3d'][..., 2]
                 / data['pose3d'][..., 0])
        for view in np.unique(data['ids'][:, [0, 1, 2, 3]], axis=0)[:10]:
            rows = np.all(data['ids'][:, :4] == view, axis=1)
            assert np.ptp(focal[rows]) < 1e-2 * np.median(focal[rows])
    again = load_split(bvh_folder, 'test', dataset_cfg, str(tmp_path))     # from the cache
    for key in ARRAY_KEYS + ('subject_names', 'action_names', 'rec_names'):
        np.testing.assert_array_equal(again[key], test[key])
    # Human3.6M's four cameras instead.
    h36m_view = load_split(bvh_folder, 'test', mocap_cfg(mocap_cameras='h36m'))
    assert sorted(np.unique(h36m_view['ids'][:, 3])) == [1, 2, 3, 4]
    # Both: Human3.6M's four as cameras 1-4, then the random ones as 5, 6, 7.
    mixed = load_split(bvh_folder, 'test', mocap_cfg(mocap_cameras='mixed', mocap_views=3))
    assert sorted(np.unique(mixed['ids'][:, 3])) == [1, 2, 3, 4, 5, 6, 7]
    first_four = mixed['ids'][:, 3] <= 4
    np.testing.assert_array_equal(mixed['pose2d'][first_four], h36m_view['pose2d'])
    random_ids = mixed['ids'][~first_four].copy()
    random_ids[:, 3] -= 4
    np.testing.assert_array_equal(random_ids, test['ids'])
    np.testing.assert_array_equal(mixed['pose2d'][~first_four], test['pose2d'])


def test_the_camera_study_finds_each_views_focal_length(bvh_folder):
    from tools.camera_study import OTHER_CENTRE, other_camera_pixels, view_focals
    test = load_split(bvh_folder, 'test', mocap_cfg(mocap_cameras='h36m'))
    focal = view_focals(test)
    # Human3.6M's focal lengths are 1145 +- 5 px; each view's own is recovered.
    assert np.all(np.abs(focal - 1147) < 6)
    views = np.unique(test['ids'][:, 3], return_inverse=True)[1]
    assert all(np.ptp(focal[views == v], axis=0).max() < 1e-3 for v in range(4))
    other = other_camera_pixels(test)
    rows = test['ids'][:, 3] == 2
    expected = (test['pose3d'][rows][..., :2] / test['pose3d'][rows][..., 2:3] * focal[rows][:, None]
                * 1.31 + OTHER_CENTRE)
    np.testing.assert_allclose(other[rows], expected, atol=1e-3)


@pytest.mark.parametrize('changes, split, message', [
    ({'mocap_test': ['42']}, 'train', 'no performer 42 in the folder .it has 01, 09.'),
    ({'mocap_test': []}, 'test', 'DATASET.mocap_test and mocap_test_sources are empty'),
    ({'mocap_test': ['01', '09']}, 'train', 'leave no train take'),
    # The cross-source split: a source the folder does not hold, or every source held out.
    ({'mocap_test': [], 'mocap_test_sources': ['HDM05']}, 'test',
     'mocap_test_sources: no source HDM05 in the folder .it has CMU.'),
    ({'mocap_test': [], 'mocap_test_sources': ['CMU']}, 'train', 'leave no train take'),
    ({'train_2d': 'sh'}, 'train', 'DATASET.train_2d sh: a motion-capture folder has no'),
])
def test_a_split_that_cannot_be_made_is_refused(bvh_folder, changes, split, message):
    with pytest.raises(PoseError, match=message):
        load_split(bvh_folder, split, mocap_cfg(**changes))


@pytest.mark.parametrize('text, message', [
    ('DATASET: {mocap_test: [9]}', 'expected list like'),
    ('DATASET: {mocap_test: [a, a]}', 'distinct performer names'),
    ('DATASET: {mocap_views: 0}', 'mocap_views: expected a finite number in .1, 64.'),
    ('DATASET: {mocap_cameras: fisheye}', 'expected one of random, h36m'),
])
def test_mocap_options_out_of_range_are_refused(tmp_path, text, message):
    with pytest.raises(PoseError, match=message):
        config.load_config(write_yaml(tmp_path / 'c.yaml', text))


def test_reports_by_motion_class():
    names = {1: 'walk', 2: 'jump'}
    actions = np.array([1, 1, 2, 2, 2])
    out = by_action(np.array([1.0, 3.0, 10.0, 10.0, 10.0]), actions, names)
    assert out == {'walk': 2.0, 'jump': 10.0, 'Average': 6.0, 'All frames': 6.8}
    ids = np.zeros((5, 5), np.int32)
    ids[:, 0], ids[:, 1], ids[:, 4] = 3, actions, np.arange(5)
    zero = np.zeros(5)
    errors = {k: zero for k in ('p1', 'p2', 'p3', 'mpjve', 'pck150', 'auc')}
    errors.update(p1_joints=np.zeros((5, 17)), p2_joints=np.zeros((5, 17)), p1_axes=np.zeros((5, 3)))
    results = summarize(errors, ids, names=({3: 'HDM_tr'}, names))
    assert results['frames'] == {'walk': 2, 'jump': 3, 'All frames': 5}
    assert list(results['per_subject']['protocol1']) == ['HDM_tr', 'All frames']
    table = format_markdown(results, 'run')
    assert '| Measure | walk | jump | Avg | All frames |' in table and 'paper' not in table.split(
        'Errors in mm')[0]


def test_train_and_test_on_a_folder_of_motion_capture(bvh_folder, tmp_path):
    cfg = write_yaml(tmp_path / 'mocap.yaml', TINY_NET % 1 + """
DATASET:
  source: mocap
  mocap_test: ['09']
  mocap_views: 2
""")
    out = run_cli('train.py', '--dataset', bvh_folder, '--root', tmp_path, '--cfg', cfg)
    assert out.returncode == 0, out.stderr[-2000:]
    run_dir = next((tmp_path / 'output' / 'model').iterdir())
    recordings = json.loads((run_dir / 'recordings.json').read_text())
    assert {r['subject'] for r in recordings['train']['recordings']} == {'01'}
    assert {r['subject'] for r in recordings['test']['recordings']} == {'09'}
    assert recordings['test']['recordings'][0]['name'].startswith('S9/09_')
    # 60 frames a take, 2 takes a class, 2 cameras.
    assert recordings['test']['frames_by_subject_and_action'] == {
        '09': {name: 240 for name in h36m.ACTIONS.values()}}
    model = str(next(run_dir.glob('Model_epoch*.params')))
    out = run_cli('test.py', '--dataset', bvh_folder, '--root', tmp_path, '--model', model,
                  '--figures', '2')
    assert out.returncode == 0, out.stderr[-2000:]
    results = json.loads(open(model[:-len('.params')] + '_results.json').read())
    assert set(results['protocol1']) == set(h36m.ACTIONS.values()) | {'Average', 'All frames'}
    assert results['per_subject']['protocol1'].keys() == {'09', 'All frames'}
    assert results['computed_from']['cameras'] == 'virtual: 2 random cameras a take'
    assert results['trained_on'] == []
    assert os.path.isfile(model[:-len('.params')] + '_actions.png')
    # The camera study over the held-out performers of the folder.
    out = run_cli('tools/camera_study.py', '--dataset', bvh_folder, '--cfg', cfg, '--model', model)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith('| ' + run_dir.name)]
    assert [r.split(' | ')[2] for r in rows] == ['(a) own pixels', '(b) own pixels, rescaled',
                                                 '(c) another camera']
    # The run made a shipped-model folder: float16 (half the size) where it moves the mean
    # error by less than 0.5 mm, else float32; nearly the same poses either way.
    shipped = tmp_path / 'shipped'
    out = run_cli('tools/ship_model.py', '--model', model, '--dataset', bvh_folder,
                  '--out', shipped)
    assert out.returncode == 0, out.stderr[-2000:]
    half = os.path.getsize(shipped / 'model.params') < 0.6 * os.path.getsize(model)
    assert half == ('float16: Protocol #1' in out.stdout)
    assert sorted(os.listdir(shipped)) == ['checksums.json', 'hyperParams.yaml', 'meanstd.npz',
                                           'model.params', 'recordings.json', 'results.json']
    from lib.infer.lifter import Lifter
    test = load_split(bvh_folder, 'test', mocap_cfg(mocap_views=2))
    ours, theirs = Lifter.load(model), Lifter.load(str(shipped / 'model.params'))
    moved = np.abs(ours.predict(test['pose2d'], test['centre'])
                   - theirs.predict(test['pose2d'], test['centre']))
    assert moved.mean() < 0.5 and moved.max() < 5
    assert not re.search(r'(?<![\w.~])/(tmp|work|root|home)/', (shipped / 'results.json').read_text())
    again = run_cli('tools/ship_model.py', '--model', model, '--dataset', bvh_folder,
                    '--out', shipped)
    assert again.returncode == 2 and 'holds a model already; pass --replace' in again.stderr


def test_dataset_cfg_without_mocap_keys_still_reads_human36m(small_dataset):
    old = EasyDict({k: v for k, v in config.default_config().DATASET.items()
                    if not k.startswith('mocap')})
    old.train_subjects = [1]
    data = load_split(small_dataset, 'train', old)
    assert set(np.unique(data['ids'][:, 0])) == {1} and id_names(data)[0][1] == 'S1'


def test_exponential_map_text_in_a_folder_is_a_take_and_notes_are_not(tmp_path):
    from tests.test_mocap import _expmap_line
    (tmp_path / 'walking').mkdir()
    (tmp_path / 'walking' / 'walking_1.txt').write_text('\n'.join([_expmap_line()] * 4) + '\n')
    (tmp_path / 'README.txt').write_text('CMU walking, from Li et al.\n')
    takes = list_takes(str(tmp_path))
    assert [t.name for t in takes] == ['walking/walking_1.txt']
    # 3 frames at 120 Hz span 1/60 s: one frame at 50 Hz.
    assert takes[0].performer == 'walking' and read_take(takes[0].path).poses.shape == (1, 17, 3)
