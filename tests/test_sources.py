"""Every Human3.6M source gives the same arrays; detections as 2D input; their errors."""
import json
import os

import numpy as np
import pytest

from config import default_config
from lib.core import h36m
from lib.data import synthetic
from lib.data.dataset import load_dataset
from lib.core.errors import PoseError
from lib.data.h36m.detections import apply_detections
from lib.data.h36m.recordings import number_subactions, parse_action_name
from lib.data.h36m.videopose3d import load_pickled_npz
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
    assert len(raw['S9']['Directions 1'][0]) == 12 + 5
    rows = np.flatnonzero((det['ids'][:, 0] == 9) & (det['ids'][:, 1] == 2)
                          & (det['ids'][:, 2] == 1) & (det['ids'][:, 3] == 3))
    np.testing.assert_allclose(det['pose2d'][rows], raw['S9']['Directions 1'][2][:12])


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
        raw['S9']['Eating 2'][2] = raw['S9']['Eating 2'][2][:, :16]

    def too_short(raw):
        raw['S11']['Walking'] = [a[:7] for a in raw['S11']['Walking']]

    def three_cameras(raw):
        raw['S9']['Posing'] = raw['S9']['Posing'][:3]

    cases = [(missing_subject, 'subject S11 missing'),
             (wrong_joints, 'S9 Eating 2 camera 3: shape (17, 16, 2), expected (N, 17, 2) for '
                            'layout h36m'),
             (too_short, 'S11 Walking camera 1: 7 frames, shorter than the 12 of the 3D'),
             (three_cameras, 'S9 Posing: 3 cameras, expected 4')]
    for change, message in cases:
        with pytest.raises(PoseError, match=message.replace('(', '\\(').replace(')', '\\)')) as e:
            _broken_detections(tmp_path, all_formats, change)()
        assert 'data_2d_h36m_bad.npz' in str(e.value) and '\n' not in str(e.value)


def test_missing_source_files(tmp_path):
    with pytest.raises(PoseError, match='no cdf files here'):
        load_dataset(str(tmp_path), [9], dataset_cfg('cdf'))


@pytest.mark.slow
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


# ---- The original's data (h36m.zip) and every 2D layout -----------------------------------------

@pytest.fixture(scope='module')
def original(tmp_path_factory):
    """The original's layout (3D h5 with the real irregular names, Stacked Hourglass folders,
    cameras.h5) and VideoPose3D files, 8 frames a recording."""
    root = tmp_path_factory.mktemp('original')
    synthetic.generate(str(root), frames=8, seed=5, subjects=[1, 9, 11],
                       formats=('orig', 'videopose3d'), detections_name='det')
    return str(root)


def h5_cfg(**kw):
    return dataset_cfg('h5', cameras='cameras.h5', **kw)


def _vp3d_2d(tmp_path, original, name, layout, convert):
    """data_2d_h36m_<name>.npz with the detections of 'det' converted to another layout."""
    raw = load_pickled_npz(os.path.join(original, 'data_2d_h36m_det.npz'), 'positions_2d')
    out = {s: {rec: [convert(c) for c in cams] for rec, cams in recs.items()}
           for s, recs in raw.items()}
    meta = {'layout_name': layout[0], 'num_joints': layout[1]}
    np.savez(tmp_path / ('data_2d_h36m_%s.npz' % name), positions_2d=np.array(out, dtype=object),
             metadata=np.array(meta, dtype=object))


def to_coco(h36m_pose):
    """Human3.6M-ordered (N, 17, 2) -> COCO order; the face points around Neck/Nose and Head."""
    idx = {5: 11, 6: 14, 7: 12, 8: 15, 9: 13, 10: 16, 11: 4, 12: 1, 13: 5, 14: 2, 15: 6, 16: 3}
    out = np.zeros(h36m_pose.shape[:1] + (17, 2), np.float32)
    for coco, ours in idx.items():
        out[:, coco] = h36m_pose[:, ours]
    out[:, 0] = h36m_pose[:, 9]
    out[:, 1:5] = h36m_pose[:, 10:11]
    return out


def test_every_2d_layout_gives_the_same_network_inputs(tmp_path, original):
    """The same detections through the sh folders, a 16-joint VideoPose3D file, a 17-joint
    Human3.6M file and a COCO-ordered file (with its metadata)."""
    import shutil
    from lib.codec import network_inputs
    from lib.data.synthetic.generator import SH_FROM_H36M
    root = tmp_path / 'd'
    shutil.copytree(original, root)
    _vp3d_2d(root, original, 'sh16', ('mpii', 16), lambda c: c[:, SH_FROM_H36M])
    _vp3d_2d(root, original, 'coco', ('coco', 17), to_coco)
    ref = load_dataset(str(root), [9], h5_cfg(), input_2d='det')
    for name in ('sh16', 'coco'):
        got = load_dataset(str(root), [9], h5_cfg(), input_2d=name)
        np.testing.assert_array_equal(got['ids'], ref['ids'])
        inputs, expected = network_inputs(got['pose2d']), network_inputs(ref['pose2d'])
        if name == 'coco':
            # COCO has no pelvis, spine or thorax: those are derived from hips and shoulders.
            direct = [i for i, j in enumerate(h36m_inputs()) if j not in (0, 7, 8, 10)]
            inputs = inputs.reshape(-1, 16, 2)[:, direct]
            expected = expected.reshape(-1, 16, 2)[:, direct]
        np.testing.assert_allclose(inputs, expected, atol=1e-3, err_msg=name)
    # The original's own folders hold their own simulated detections: same frames and shapes.
    sh = load_dataset(str(root), [9], h5_cfg(), input_2d='sh_ft')
    np.testing.assert_array_equal(sh['ids'], ref['ids'])


def h36m_inputs():
    return list(h36m.INPUT_JOINTS)


def test_a_layout_that_contradicts_the_joints_is_refused(tmp_path, original):
    import shutil
    root = tmp_path / 'd'
    shutil.copytree(original, root)
    _vp3d_2d(root, original, 'lie', ('h36m', 17), to_coco)          # COCO order, says h36m
    with pytest.raises(PoseError, match="says its joints are in h36m order, but they look like coco"):
        load_dataset(str(root), [9], h5_cfg(), input_2d='lie')
    _vp3d_2d(root, original, 'lie2', ('coco', 17), lambda c: c)    # h36m order, says coco
    with pytest.raises(PoseError, match="in coco order, but they look like h36m"):
        load_dataset(str(root), [9], h5_cfg(), input_2d='lie2')
    _vp3d_2d(root, original, 'odd', ('humaneva15', 15), lambda c: c[:, :15])
    with pytest.raises(PoseError, match='names layout humaneva15 with 15 joints'):
        load_dataset(str(root), [9], h5_cfg(), input_2d='odd')


def test_a_camera_without_detections_is_left_out_and_counted(original, caplog):
    """The real release lacks S11 Directions.54138969.h5 alone (in both Stacked Hourglass
    folders): that camera's view is left out, named and counted; the rest is used."""
    import glob
    sh = os.path.join(original, 'S11', 'StackedHourglass')
    assert not os.path.exists(os.path.join(sh, 'Directions.54138969.h5'))
    assert len(glob.glob(os.path.join(sh, 'Directions.*.h5'))) == 3
    assert len(glob.glob(os.path.join(sh, 'Directions_1.*.h5'))) == 4
    full = load_dataset(original, [9, 11], h5_cfg())
    for name in ('sh', 'sh_ft'):
        data = load_dataset(original, [9, 11], h5_cfg(), input_2d=name)
        assert data['left_out'] == [{'subject': 11, 'recording': 'Directions', 'camera': 1,
                                     'frames': 8}]
        assert len(data['ids']) == len(full['ids']) - 8
        assert 'S11 Directions camera 1 (54138969): no %s detections; left out (8 frames)' \
            % name in caplog.text
        s11 = data['ids'][(data['ids'][:, 0] == 11) & (data['ids'][:, 1] == 2)]
        assert sorted(set(s11[s11[:, 2] == 1, 3])) == [2, 3, 4]


def test_irregular_names_pair_the_right_recordings(tmp_path, original):
    """Directions 1/Directions 2, Waiting/Waiting 3 ...: paired by name, even when a copy lacks
    a file, so that numbering each source on its own would pair the wrong recordings."""
    import glob
    import shutil
    root = tmp_path / 'd'
    shutil.copytree(original, root)
    for f in glob.glob(str(root / 'S9' / 'StackedHourglassFineTuned240' / 'Waiting.*.h5')):
        os.remove(f)
    gt = load_dataset(str(root), [9], h5_cfg())
    det = load_dataset(str(root), [9], h5_cfg(), input_2d='sh_ft')
    assert det['left_out'] == [{'subject': 9, 'recording': 'Waiting', 'frames': 32}]
    names = dict(zip(map(tuple, gt['rec_ids'].tolist()), gt['rec_names']))
    assert names[(9, 2, 1)] == 'Directions 1' and names[(9, 13, 2)] == 'Waiting 3'
    kept = np.isin(np.arange(len(gt['ids'])), np.flatnonzero(
        ~((gt['ids'][:, 1] == 13) & (gt['ids'][:, 2] == 1))))
    err = np.linalg.norm(det['pose2d'] - gt['pose2d'][kept], axis=-1)
    for a in np.unique(det['ids'][:, 1]):
        for u in (1, 2):
            rows = (det['ids'][:, 1] == a) & (det['ids'][:, 2] == u)
            if rows.any():
                assert np.median(err[rows]) < 8, (a, u)        # detector noise, not another motion


def test_cameras_h5_and_json_give_the_same_projections(original):
    from lib.core.resources import DEFAULT_CAMERAS
    from lib.data.cameras import load_cameras, project, world_to_camera
    h5 = load_cameras(os.path.join(original, 'cameras.h5'))
    js = load_cameras(DEFAULT_CAMERAS)
    points = np.random.default_rng(0).normal([0, 0, 900], [400, 400, 500], size=(50, 3))
    for s in (1, 9, 11):
        for a, b in zip(h5[s], js[s]):
            assert a['id'] == b['id']
            for distortion in (False, True):
                dist_a = (a['k'], a['p']) if distortion else (None, None)
                dist_b = (b['k'], b['p']) if distortion else (None, None)
                pa = project(world_to_camera(points, a['R'], a['T']), a['f'], a['c'], *dist_a)
                pb = project(world_to_camera(points, b['R'], b['T']), b['f'], b['c'], *dist_b)
                np.testing.assert_allclose(pa, pb, atol=1e-6)
    with pytest.raises(PoseError, match='DATASET.cameras nope.h5: no such file'):
        load_dataset(original, [9], dataset_cfg('h5', cameras='nope.h5'))


@pytest.mark.slow
def test_train_and_test_on_sh_detections(tmp_path_factory):
    """configs/paper_sh_ft.yaml end to end on the original's layout: worse than ground truth,
    every test frame with a detection evaluated once, the left-out recording named."""
    root = tmp_path_factory.mktemp('sh_e2e')
    data = root / 'data'
    synthetic.generate(str(data), frames=24, seed=1, formats=('orig',))
    results = {}
    tiny = write_yaml(root / 'tiny.yaml', TINY_NET % 6 + 'DATASET:\n  source: h5\n  '
                      'cameras: cameras.h5\n')
    for name, args in (('gt', ['--cfg', tiny]),
                       ('sh', ['--cfg', tiny, '--cfg', 'configs/paper_sh_ft.yaml'])):
        out = root / name
        proc = run_cli('train.py', '--root', out, '--dataset', data, *args)
        assert proc.returncode == 0, proc.stderr[-2000:]
        run = out / 'output' / 'model' / os.listdir(out / 'output' / 'model')[0]
        proc = run_cli('test.py', '--root', out, '--dataset', data, '--model',
                       run / 'Model_epoch6.params')
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[name] = json.load(open(run / 'Model_epoch6_results.json'))
        md = open(run / 'Model_epoch6_results.md').read()
        if name == 'sh':
            left = {'subject': 11, 'recording': 'Directions', 'camera': 1, 'frames': 24}
            assert results[name]['left_out'] == [left]
            assert 'S11 Directions camera 1 (24 frames)' in md and 'paper #1' in md and \
                'Stacked Hourglass' in md
            recordings = json.load(open(run / 'recordings.json'))
            assert left in recordings['test']['left_out']
    assert results['sh']['frames']['All frames'] == results['gt']['frames']['All frames'] - 24
    assert results['sh']['protocol1']['All frames'] > results['gt']['protocol1']['All frames']


# ---- The original release's cameras.h5 and folders, as downloaded ------------------------------

def test_released_cameras_h5_gives_the_built_in_calibration(original):
    """The generator writes the released shape (a top-level '3dtest' dataset beside the
    subject groups, Name as float64 character codes, column vectors); it reads back as the
    built-in cameras, with each camera's image size from its id."""
    import h5py
    from lib.core.resources import DEFAULT_CAMERAS
    from lib.data.cameras import load_cameras
    path = os.path.join(original, 'cameras.h5')
    with h5py.File(path, 'r') as f:
        assert f['3dtest'].shape == (96, 1) and f['3dtest'].dtype == np.float64
        assert f['subject1/camera1/Name'].dtype == np.float64
        assert f['subject1/camera1/T'].shape == (3, 1) and f['subject1/camera1/k'].shape == (3, 1)
    h5, js = load_cameras(path), load_cameras(DEFAULT_CAMERAS)
    assert sorted(h5) == [1, 9, 11]
    for s in h5:
        for a, b in zip(h5[s], js[s]):
            assert (a['id'], a['width'], a['height']) == (b['id'], b['width'], b['height'])
            for key in ('R', 'T', 'f', 'c', 'k', 'p'):
                np.testing.assert_allclose(a[key], b[key], atol=1e-6, err_msg=key)
    assert [(c['width'], c['height']) for c in h5[9]] == [(1000, 1002), (1000, 1000),
                                                           (1000, 1000), (1000, 1002)]


def _copy_cameras_h5(src, dst, drop=None, keep_subjects=True):
    """A copy of a cameras.h5 without the entry `drop`, or without any subject group."""
    import h5py
    with h5py.File(src, 'r') as f, h5py.File(dst, 'w') as g:
        for key in f:
            if key.startswith('subject') and not keep_subjects:
                continue
            f.copy(key, g)
        if drop:
            del g[drop]
    return str(dst)


def test_cameras_h5_without_subjects_or_with_a_gap_is_refused(tmp_path, original):
    from lib.data.cameras import load_cameras
    src = os.path.join(original, 'cameras.h5')
    with pytest.raises(PoseError, match=r'no subject<k> group \(holds \[.3dtest.\]\)'):
        load_cameras(_copy_cameras_h5(src, tmp_path / 'a.h5', keep_subjects=False))
    with pytest.raises(PoseError, match='group subject9/camera3 is missing'):
        load_cameras(_copy_cameras_h5(src, tmp_path / 'b.h5', drop='subject9/camera3'))
    with pytest.raises(PoseError, match='group subject11/camera2 lacks f'):
        load_cameras(_copy_cameras_h5(src, tmp_path / 'c.h5', drop='subject11/camera2/f'))
    with pytest.raises(PoseError, match='group subject1/camera4 lacks Name'):
        load_cameras(_copy_cameras_h5(src, tmp_path / 'd.h5', drop='subject1/camera4/Name'))


def test_release_folders_hold_more_than_recordings(tmp_path, original, caplog):
    """Files that are not recordings in the 3D and Stacked Hourglass folders, and datasets beside
    the one read inside a file, are skipped with a log line: the arrays are unchanged."""
    import shutil
    import h5py
    root = tmp_path / 'release'
    shutil.copytree(os.path.join(original, 'S9'), root / 'S9')
    shutil.copy(os.path.join(original, 'cameras.h5'), root / 'cameras.h5')
    cfg = h5_cfg(cache=False)
    ref = load_dataset(str(root), [9], cfg, input_2d='sh')
    folder3d = root / 'S9' / 'MyPoses' / '3D_positions'
    shutil.copy(folder3d / 'Walking.h5', folder3d / '_ALL.h5')
    with h5py.File(folder3d / 'Walking.h5', 'a') as f:
        f['notes'] = np.zeros(3)
    sh = root / 'S9' / 'StackedHourglass'
    shutil.copy(sh / 'Walking.54138969.h5', sh / '_ALL.54138969.h5')
    with caplog.at_level('INFO'):
        got = load_dataset(str(root), [9], cfg, input_2d='sh')
    assert "skipped 1 file(s) that are not Human3.6M recordings: _ALL.h5" in caplog.text
    assert "skipped 1 file(s) that are not Human3.6M recordings: _ALL.54138969.h5" in caplog.text
    for key in ('ids', 'pose2d', 'pose3d'):
        np.testing.assert_array_equal(got[key], ref[key])


def test_test_py_with_the_released_cameras_h5_gives_the_built_in_numbers(trained_run, tmp_path,
                                                                          run_copy):
    """A run tested with DATASET.cameras set to the original's cameras.h5 (the same source of
    world poses) scores as with the built-in cameras."""
    data = tmp_path / 'data'
    synthetic.generate(str(data), frames=24, seed=1, subjects=[9, 11], formats=('orig',))
    run = run_copy
    results = []
    for name, cameras in (('json', 'data/h36m_cameras.json'), ('h5', str(data / 'cameras.h5'))):
        cfg = write_yaml(tmp_path / (name + '.yaml'),
                         'DATASET:\n  source: h5\n  cameras: %s\n' % cameras)
        before = set(os.listdir(run))
        proc = run_cli('test.py', '--root', tmp_path, '--dataset', data, '--model',
                       run / 'Model_epoch6.params', '--cfg', cfg)
        assert proc.returncode == 0, proc.stderr[-2000:]
        made = [p for p in set(os.listdir(run)) - before if p.endswith('_results.json')]
        assert len(made) == 1, made
        results.append(json.load(open(run / made[0])))
        assert results[-1]['computed_from']['cameras'] == os.path.abspath(cameras)
    assert results[0]['frames'] == results[1]['frames']
    for measure in ('protocol1', 'protocol2'):
        for action, value in results[0][measure].items():
            assert abs(value - results[1][measure][action]) < 1e-3, (measure, action)
