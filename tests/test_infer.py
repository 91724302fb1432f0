"""infer.py and the keypoint readers: every format detected and mapped by name, missing joints,
frame order, tracking, smoothing, figures, ONNX parity, and bad input files."""
import json
import os

import numpy as np
import pytest

from lib.core import h36m
from lib.data.dataset import load_subjects
from lib.core.errors import PoseError
from lib.infer.detector_files import read_keypoint_file
from lib.infer.detections import natural_key
from lib.codec import rescale_to_training
from lib.core.layouts import to_h36m
from lib.infer.missing_joints import prepare_track
from lib.infer.options import LiftOptions
from lib.infer.tracking import assign_tracks, ordered_frames
from tests import keypoint_fixtures as fx
from tests.keypoint_fixtures import frames_of
from tests.conftest import run_cli

H = {name: i for i, name in enumerate(h36m.JOINT_NAMES)}
P = {k: np.array(v, dtype=float) for k, v in list(fx.COCO_PERSON.items()) + list(fx.EXTRA.items())}


def model_of(trained_run):
    return os.path.join(trained_run['run'], 'Model_epoch6.params')


def test_coco_mapping_joint_by_joint():
    out = to_h36m(fx.person_points('coco')[None], 'coco')[0]
    np.testing.assert_allclose(out[H['Hip']], (P['LHip'] + P['RHip']) / 2)
    np.testing.assert_allclose(out[H['Thorax']], (P['LShoulder'] + P['RShoulder']) / 2)
    np.testing.assert_allclose(out[H['Spine']], (out[H['Hip']] + out[H['Thorax']]) / 2)
    np.testing.assert_allclose(out[H['Head']], np.mean([P[n] for n in ('LEye', 'REye', 'LEar',
                                                                      'REar')], axis=0))
    for ours, theirs in (('RFoot', 'RAnkle'), ('LFoot', 'LAnkle'), ('RKnee', 'RKnee'),
                         ('LWrist', 'LWrist'), ('RShoulder', 'RShoulder'), ('LElbow', 'LElbow')):
        np.testing.assert_allclose(out[H[ours]], P[theirs])
    np.testing.assert_allclose(out[H['Neck/Nose']], P['Nose'])


@pytest.mark.parametrize('layout', ['body25', 'openpose18', 'halpe26', 'halpe136', 'mediapipe'])
def test_every_layout_maps_to_the_same_limbs(layout):
    out = to_h36m(fx.person_points(layout)[None], layout)[0]
    for ours, theirs in (('RHip', 'RHip'), ('LKnee', 'LKnee'), ('RFoot', 'RAnkle'),
                         ('LShoulder', 'LShoulder'), ('RElbow', 'RElbow'), ('LWrist', 'LWrist')):
        np.testing.assert_allclose(out[H[ours]], P[theirs])
    np.testing.assert_allclose(out[H['Hip']], P['Hip'])            # MidHip or Halpe's Hip
    np.testing.assert_allclose(out[H['Thorax']], P['Neck'])        # OpenPose/Halpe Neck
    if layout.startswith('halpe'):
        np.testing.assert_allclose(out[H['Head']], P['Head'])      # Halpe's head top


def test_each_format_is_detected_and_mapped(format_files):
    for kind, (path, layout) in format_files.items():
        det = read_keypoint_file(str(path))
        assert det.layout == layout, kind
        frames = ordered_frames(det)
        assert len(frames) == 3 and all(len(people) == 1 for _, people in frames), kind
        tracks = assign_tracks(frames, det.layout, LiftOptions())
        assert len(tracks) == 1, kind
        pose = tracks[0]['pose2d']
        # Frame 2 is the person moved 8 px right: every format gives the same joints.
        tol = 1.0 if kind == 'coco-annotations' else 1e-3        # COCO annotations are whole px
        for ours, theirs in (('RHip', 'RHip'), ('LFoot', 'LAnkle'), ('RWrist', 'RWrist'),
                             ('LShoulder', 'LShoulder')):
            np.testing.assert_allclose(pose[2, H[ours]], P[theirs] + [8, 0], atol=tol,
                                       err_msg=kind)


def test_named_layout_wins_and_a_contradiction_is_refused(tmp_path):
    pts = to_h36m(fx.person_points('coco')[None], 'coco')[0]
    named = fx.write(tmp_path / 'h36m.json', {'keypoint_names': list(h36m.JOINT_NAMES),
                                              'keypoints': [pts.tolist()] * 2})
    assert read_keypoint_file(str(named)).layout == 'h36m'
    assert read_keypoint_file(str(named), 'h36m').layout == 'h36m'
    with pytest.raises(PoseError, match='says its keypoints are h36m, but --format coco'):
        read_keypoint_file(str(named), 'coco')
    # The names of a layout in another order are read by name.
    order = np.random.default_rng(0).permutation(17)
    shuffled = fx.write(tmp_path / 'shuffled.json', {
        'keypoint_names': [h36m.JOINT_NAMES[i] for i in order],
        'keypoints': [pts[order].tolist()]})
    det = read_keypoint_file(str(shuffled))
    np.testing.assert_allclose(to_h36m(det.frames[0][1][0]['points'][None], det.layout)[0]
                               [list(h36m.INPUT_JOINTS)], pts[list(h36m.INPUT_JOINTS)])
    mm = fx.mmpose_file(tmp_path / 'mm.json', frames_of('coco', 1))
    with pytest.raises(PoseError, match='but --format h36m'):
        read_keypoint_file(str(mm), 'h36m')


def test_ambiguous_17_keypoints_are_refused_with_the_candidates(tmp_path):
    plain = fx.write(tmp_path / 'plain.json', [fx.person_points('coco')[:, :2].tolist()])
    with pytest.raises(PoseError, match='could be COCO or Human3.6M.*--format coco or --format h36m'):
        read_keypoint_file(str(plain))
    np.save(tmp_path / 'plain.npy', fx.person_points('coco')[None])
    with pytest.raises(PoseError, match='could be COCO or Human3.6M'):
        read_keypoint_file(str(tmp_path / 'plain.npy'))
    assert read_keypoint_file(str(plain), 'coco').layout == 'coco'
    # 25 unnamed keypoints can only be BODY_25.
    np.save(tmp_path / 'b25.npy', fx.person_points('body25')[None])
    assert read_keypoint_file(str(tmp_path / 'b25.npy')).layout == 'body25'


def test_mediapipe_needs_the_image_size(tmp_path):
    path = fx.mediapipe_file(tmp_path / 'mp.json', frames_of('mediapipe', 1), with_size=False)
    with pytest.raises(PoseError, match='--image-size'):
        read_keypoint_file(str(path))
    det = read_keypoint_file(str(path), image_size=(1920, 1080))
    np.testing.assert_allclose(det.frames[0][1][0]['points'][11, :2], P['LShoulder'])


def test_missing_joints_derived_from_what_is_seen():
    # Profile: the left eye, left ear and left wrist unseen, and the right hip too.
    pts = fx.hide(fx.person_points('coco'), 'coco', ['LEye', 'LEar', 'LWrist', 'RHip'])
    out = to_h36m(pts[None], 'coco')[0]
    np.testing.assert_allclose(out[H['Head']], (P['REye'] + P['REar']) / 2)
    np.testing.assert_allclose(out[H['RHip']], P['RShoulder'] + P['LHip'] - P['LShoulder'])
    assert np.isnan(out[H['LWrist']]).all()
    # No eye or ear at all: the head from the nose and the thorax.
    pts = fx.hide(fx.person_points('coco'), 'coco', ['LEye', 'LEar', 'REye', 'REar'])
    out = to_h36m(pts[None], 'coco')[0]
    thorax = (P['LShoulder'] + P['RShoulder']) / 2
    np.testing.assert_allclose(out[H['Head']], P['Nose'] + 0.25 * (P['Nose'] - thorax))
    # Below the confidence threshold is missing, never (0, 0).
    pts = fx.person_points('coco')
    pts[9, 2] = 0.05
    assert np.isnan(to_h36m(pts[None], 'coco', 0.1)[0, H['LWrist']]).all()


def test_a_joint_missing_at_the_start_is_filled_from_its_first_sighting():
    pose = np.stack([to_h36m(fx.person_points('coco', shift=(10.0 * i, 0))[None], 'coco')[0]
                     for i in range(6)])
    pose[:3, H['RKnee']] = np.nan
    pose[4, H['LElbow']] = np.nan
    track = prepare_track(pose)
    assert track.kept.all()
    np.testing.assert_allclose(track.pose2d[:3, H['RKnee']], np.tile(pose[3, H['RKnee']], (3, 1)))
    np.testing.assert_allclose(track.pose2d[4, H['LElbow']],
                               (pose[3, H['LElbow']] + pose[5, H['LElbow']]) / 2, atol=1e-4)
    assert track.filled[0] == ['RKnee'] and track.filled[4] == ['LElbow']


def test_a_frame_with_too_many_missing_joints_is_left_out_with_its_reason():
    pose = np.stack([to_h36m(fx.person_points('coco')[None], 'coco')[0]] * 3)
    pose[1, [1, 2, 3, 4, 5, 6]] = np.nan                     # both legs
    track = prepare_track(pose, max_missing=4)
    assert track.kept.tolist() == [True, False, True]
    assert '6 of 16 input joints missing' in track.reasons[1] and 'RKnee' in track.reasons[1]
    # A joint never seen in the track: placed from its parent like the other side's limb.
    pose = np.stack([to_h36m(fx.person_points('coco')[None], 'coco')[0]] * 2)
    pose[:, H['RWrist']] = np.nan
    track = prepare_track(pose)
    np.testing.assert_allclose(track.pose2d[0, H['RWrist']],
                               P['RElbow'] + P['LWrist'] - P['LElbow'])


def test_frames_in_numeric_order_with_their_ids(tmp_path):
    people = [[fx.person_points('coco', shift=(i, 0))] for i in range(3)]
    path = fx.coco_results(tmp_path / 'ids.json', [people[2], people[0], people[1]],
                           ids=[105, 100, 101])
    frames = ordered_frames(read_keypoint_file(str(path)))
    assert [label for label, _ in frames] == [100, 101, 105]
    path = fx.coco_results(tmp_path / 'names.json', people[:2], ids=['10.jpg', '2.jpg'])
    assert [label for label, _ in ordered_frames(read_keypoint_file(str(path)))] == ['2.jpg',
                                                                                     '10.jpg']
    assert sorted(['f10', 'f9', 'f100'], key=natural_key) == ['f9', 'f10', 'f100']


def crossing_frames(n=12):
    """Two people walking past each other: A from left to right, B from right to left, B a
    little farther away (higher in the image and smaller); the detector lists them in a
    different order in every other frame."""
    frames = []
    for i in range(n):
        a = fx.person_points('coco', shift=(-300 + 50 * i, 0))
        b = fx.person_points('coco', shift=(300 - 50 * i, -40))
        b[:, :2] = (b[:, :2] - b[0, :2]) * 0.8 + b[0, :2]
        frames.append([a, b] if i % 2 == 0 else [b, a])
    return frames


def test_two_people_crossing_keep_their_identities(tmp_path):
    path = fx.coco_results(tmp_path / 'cross.json', crossing_frames())
    det = read_keypoint_file(str(path))
    tracks = assign_tracks(ordered_frames(det), det.layout, LiftOptions())
    assert len(tracks) == 2
    for t in tracks:
        assert t['rows'].tolist() == list(range(12))
        u = t['pose2d'][:, H['Hip'], 0]
        assert np.all(np.diff(u) > 0) or np.all(np.diff(u) < 0)   # one direction throughout


def test_person_best_keeps_the_highest_score(tmp_path):
    frames = crossing_frames(4)
    frames[1][0][:, 2] = 0.3                               # B scores lower in frame 1
    path = fx.coco_results(tmp_path / 'best.json', frames)
    det = read_keypoint_file(str(path))
    tracks = assign_tracks(ordered_frames(det), det.layout, LiftOptions(person='best'))
    assert len(tracks) == 1 and tracks[0]['rows'].tolist() == [0, 1, 2, 3]
    chosen = tracks[0]['points'][1]
    assert chosen[0, 2] == pytest.approx(0.9)              # A, the better one


def test_rescale_matches_the_training_spread():
    rng = np.random.default_rng(0)
    mean2d = rng.normal(500, 80, size=32)
    pose = rng.normal(0, 40, size=(3, 17, 2)) + 2000
    out = rescale_to_training(pose, mean2d)
    mean = mean2d.reshape(16, 2)
    spread = lambda p: np.sqrt(((p - p.mean(axis=0)) ** 2).sum(axis=1).mean())
    for frame in out:
        assert spread(frame[list(h36m.INPUT_JOINTS)]) == pytest.approx(spread(mean))
        np.testing.assert_allclose(frame[0], mean[0])


def test_infer_lifts_every_format_with_defaults(tmp_path, trained_run, format_files):
    """No option but --model, --input, --output: every frame lifted, upright, named."""
    for kind, (path, _) in format_files.items():
        out = tmp_path / ('%s.json' % kind)
        proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path,
                       '--output', out)
        assert proc.returncode == 0, (kind, proc.stderr[-2000:])
        result = json.load(open(out))
        assert len(result['people']) == 1 and result['rescaled_2d'] is True
        frames = result['people'][0]['frames']
        assert [f['index'] for f in frames] == [0, 1, 2]
        assert [f['image'] for f in frames] == result['images'] and len(result['images']) == 3
        pose = np.array([f['pose3d'] for f in frames])
        assert np.all(np.linalg.norm(pose, axis=-1) < 1500), kind
        # Upright: camera y points down, so the head is above the pelvis, the feet below.
        assert np.all(pose[:, H['Head'], 1] < 0) and np.all(pose[:, H['RFoot'], 1] > 0), kind
        # Human limb lengths, left and right alike.
        bone = lambda a, b: np.median(np.linalg.norm(pose[:, H[a]] - pose[:, H[b]], axis=-1))
        for side in 'RL':
            for a, b in (('Hip', 'Knee'), ('Knee', 'Foot')):
                assert 300 < bone(side + a, side + b) < 550, (kind, side + a)
        for a, b in (('Hip', 'Knee'), ('Knee', 'Foot')):
            assert abs(bone('R' + a, 'R' + b) / bone('L' + a, 'L' + b) - 1) < 0.15, kind
        assert np.load(str(out)[:-5] + '_3d.npy').shape == (1, 3, 17, 3)


def test_infer_profile_view_and_left_out_frames(tmp_path, trained_run):
    frames = [[fx.hide(fx.person_points('coco', shift=(3.0 * i, 0)), 'coco',
                       ['LEye', 'LEar', 'LWrist'])] for i in range(4)]
    frames[2] = [fx.hide(frames[2][0], 'coco', ['LHip', 'RHip', 'LKnee', 'RKnee', 'LAnkle',
                                                'RAnkle'])]
    path = fx.coco_results(tmp_path / 'profile.json', frames, ids=[10, 11, 12, 13])
    out = tmp_path / 'profile_out.json'
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path, '--output', out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    person = json.load(open(out))['people'][0]
    assert [f['image'] for f in person['frames']] == [10, 11, 13]
    assert person['left_out'][0]['image'] == 12 and 'LHip' in person['left_out'][0]['reason']
    assert person['frames'][0]['filled_joints'] == ['LWrist']
    pose = np.array([f['pose3d'] for f in person['frames']])
    assert np.all(np.linalg.norm(pose, axis=-1) < 1500)
    assert 'left out' in proc.stdout


def test_infer_matches_test_py(tmp_path, trained_run):
    model = model_of(trained_run)
    proc = run_cli('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
                   '--model', model, '--save-predictions')
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = np.load(model[:-7] + '_predictions.npz')
    test = load_subjects(trained_run['data'], [9, 11])
    np.testing.assert_array_equal(saved['ids'], test['ids'])
    pick = np.array([0, 500, 1234, 2800])
    fx.write(tmp_path / 'h36m.json', {'layout_name': 'h36m',
                                      'keypoints': test['pose2d'][pick].tolist()})
    np.save(tmp_path / 'h36m.npy', test['pose2d'][pick])
    for name, fmt in (('h36m.json', 'auto'), ('h36m.npy', 'h36m')):
        out = tmp_path / ('out_%s.json' % name.replace('.', '_'))
        proc = run_cli('infer.py', '--model', model, '--input', tmp_path / name, '--output', out,
                       '--format', fmt)
        assert proc.returncode == 0, proc.stderr[-2000:]
        result = json.load(open(out))
        assert result['rescaled_2d'] is False and result['layout'] == 'h36m'
        pose = np.array([f['pose3d'] for f in result['people'][0]['frames']])
        np.testing.assert_allclose(pose, saved['pred3d'][pick], atol=6e-3)


def test_smoothing_reduces_jitter_figures_and_animation(tmp_path, trained_run):
    rng = np.random.default_rng(1)
    frames = [[fx.person_points('coco', shift=(2.0 * i, 0)) + np.c_[rng.normal(0, 4, (17, 2)),
                                                                    np.zeros(17)]]
              for i in range(12)]
    path = fx.coco_results(tmp_path / 'video.json', frames)
    out = tmp_path / 'smooth.json'
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path, '--output', out,
                   '--smooth', 2, '--figures', tmp_path / 'figs', '--max-figures', 2,
                   '--animation', tmp_path / 'track.gif')
    assert proc.returncode == 0, proc.stderr[-2000:]
    jitter = json.load(open(out))['people'][0]['jitter_mm_per_frame2']
    assert jitter['after'] < 0.5 * jitter['before']
    # Two figures spread over the whole video: its first and its last frame.
    assert sorted(os.listdir(tmp_path / 'figs')) == ['person0_frame00000.png',
                                                     'person0_frame00011.png']
    with open(tmp_path / 'track.gif', 'rb') as f:
        assert f.read(6) in (b'GIF89a', b'GIF87a')


def test_onnx_with_rescaling_matches_infer(tmp_path, trained_run):
    import onnxruntime as ort
    frames = [[fx.person_points('coco', shift=(5.0 * i, 2.0 * i))] for i in range(5)]
    path = fx.coco_results(tmp_path / 'det.json', frames)
    out = tmp_path / 'det_out.json'
    onnx_path = tmp_path / 'rescaled.onnx'
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path, '--output', out,
                   '--onnx', onnx_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lifted = np.array([f['pose3d'] for f in json.load(open(out))['people'][0]['frames']])
    pose2d = to_h36m(np.stack([f[0] for f in frames]), 'coco')
    inputs = pose2d[:, list(h36m.INPUT_JOINTS)].reshape(len(frames), -1).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    result = session.run(None, {session.get_inputs()[0].name: inputs})[0]
    np.testing.assert_allclose(result, lifted[:, 1:].reshape(len(frames), -1), atol=1e-2)
    # infer.py rounds its JSON to 0.01 mm; against the unrounded .npy the match is to 1e-3 mm.
    npy = np.load(str(out)[:-5] + '_3d.npy')[0]
    np.testing.assert_allclose(result, npy[:, 1:].reshape(len(frames), -1), atol=1e-3)


def test_onnx_matches_mxnet(tmp_path, trained_run):
    import onnxruntime as ort
    from lib.infer.lifter import Lifter
    onnx_path = tmp_path / 'model.onnx'
    proc = run_cli('export.py', '--model', model_of(trained_run), '--onnx', onnx_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    test = load_subjects(trained_run['data'], [9])
    inputs = test['pose2d'][:, list(h36m.INPUT_JOINTS)].reshape(-1, 32).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    reference = Lifter.load(model_of(trained_run)).predict(test['pose2d'])[:, 1:].reshape(-1, 48)
    for batch in (1, 7, 300):
        out = session.run(None, {name: inputs[:batch]})[0]
        assert out.shape == (batch, 48)
        np.testing.assert_allclose(out, reference[:batch], rtol=1e-4, atol=1e-4)


def _one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), proc.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.mark.parametrize('name, content, fmt, fragment', [
    ('bad.json', '{not json', 'auto', 'not valid JSON'),
    ('short.json', json.dumps([[[1, 2]] * 15]), 'h36m', '15 keypoints per person, but layout h36m'),
    ('inf.json', json.dumps([[[1, 2]] * 16 + [[1e30, 2]]]), 'h36m', 'out of range'),
    ('bools.json', json.dumps([[[True, False]] * 17]), 'h36m', 'booleans'),
    ('empty.json', '[]', 'auto', 'non-empty'),
    ('coco.json', json.dumps([{'image_id': 1, 'keypoints': [1] * 50}]), 'auto',
     'not a whole number'),
    ('listid.json', json.dumps([{'image_id': [1], 'keypoints': [1] * 51}]), 'auto',
     'image id must be a number or a string'),
    ('nobody.json', json.dumps({'people': []}), 'auto', 'no person'),
    ('other.json', json.dumps({'foo': 1}), 'auto', 'no keypoint format'),
])
def test_bad_input_files(tmp_path, trained_run, name, content, fmt, fragment):
    path = tmp_path / name
    path.write_text(content)
    out = tmp_path / 'out.json'
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path, '--format', fmt,
                   '--output', out)
    _one_line_error(proc, name, fragment)
    assert not out.exists()


def test_no_output_overwrites_an_input(tmp_path, trained_run):
    np.save(tmp_path / 'kp.npy', fx.person_points('body25')[None])
    before = (tmp_path / 'kp.npy').read_bytes()
    for output, fragment in (('kp.json', None), ('res.npy', 'expected a .json')):
        proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', tmp_path / 'kp.npy',
                       '--output', tmp_path / output)
        if fragment:
            _one_line_error(proc, fragment)
        else:
            assert proc.returncode == 0, proc.stderr[-2000:]
            assert (tmp_path / 'kp_3d.npy').exists()
    assert (tmp_path / 'kp.npy').read_bytes() == before
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', tmp_path / 'kp.npy',
                   '--output', tmp_path / 'x.json', '--onnx', tmp_path / 'kp.npy')
    _one_line_error(proc, 'would overwrite an input')
    proc = run_cli('export.py', '--model', model_of(trained_run), '--onnx', model_of(trained_run))
    _one_line_error(proc, '.onnx')
    assert (tmp_path / 'kp.npy').read_bytes() == before
