"""Real detector files, second round: never crash on a real file, never drop a person
silently, track crowds, and refuse what is not 2D pixels (doc/inference.md)."""
import json
import logging
import os
import time

import numpy as np
import pytest

from lib.core.errors import PoseError
from lib.core.layouts import LAYOUTS, to_h36m
from lib.infer.detector_files import read_keypoint_file
from lib.infer.lifter import Lifter
from lib.infer.options import LiftOptions
from lib.infer.tracking import assign_tracks, camera_path, ordered_frames
from tests import keypoint_fixtures as fx
from tests.conftest import one_line_error, run_cli


def model_of(trained_run):
    return os.path.join(trained_run['run'], 'Model_epoch6.params')


def coco(shift=(0.0, 0.0), scale=1.0, hide=()):
    """The hand-placed COCO person moved by `shift` and scaled about its pelvis; `hide`: names
    of keypoints written as not found (0, 0, 0), as detectors write them."""
    p = fx.person_points('coco')
    centre = p[[11, 12], :2].mean(axis=0)
    p[:, :2] = (p[:, :2] - centre) * scale + centre + np.asarray(shift)
    for name in hide:
        p[LAYOUTS['coco'].index(name)] = 0
    return p


def test_a_person_whose_hips_are_never_seen_is_left_out_not_a_crash(tmp_path, trained_run,
                                                                   caplog):
    """The figure-skating and NBA files: a second person's hips never seen; 4 missing joints
    (Hip, RHip, LHip, Spine) is within --max-missing, but the pelvis cannot be placed."""
    frames = [[coco((3.0 * i, 0)), coco((300 + 2.0 * i, 0), 0.5, ('LHip', 'RHip'))]
              for i in range(6)]
    path = fx.coco_results(tmp_path / 'skating.json', frames)
    lifter = Lifter.load(model_of(trained_run))
    with caplog.at_level(logging.WARNING):
        result = lifter.lift_file(path)
    assert [len(p.rows) for p in result.people] == [6, 0]
    reason = result.people[1].left_out[0][1]
    assert 'Hip' in reason and 'cannot be placed' in reason
    assert sum('left out' in r.message for r in caplog.records) == 1      # one summary line
    poses = lifter.lift(np.stack([f[1] for f in frames]), layout='coco')
    assert np.isnan(poses).all()
    out = tmp_path / 'o.json'
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path, '--output', out)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert len(json.load(open(out))['people']) == 2


def test_alphapose_ids_that_repeat_in_a_frame_are_not_track_ids(tmp_path):
    """AlphaPose without tracking writes idx [0.0] for everyone: 3 people in each of 4 frames
    become 3 tracks, not 1."""
    frames = [[coco((4.0 * i, 0)), coco((400 + 4.0 * i, 0)), coco((-400 + 4.0 * i, 0))]
              for i in range(4)]
    path = tmp_path / 'alphapose-results.json'
    fx.write(path, [{'image_id': '%d.jpg' % i, 'category_id': 1, 'idx': [0.0],
                     'keypoints': p.ravel().tolist(), 'score': 2.5}
                    for i, people in enumerate(frames) for p in people])
    det = read_keypoint_file(str(path))
    tracks = assign_tracks(ordered_frames(det), det.layout, LiftOptions())
    assert len(tracks) == 3 and all(len(t['rows']) == 4 for t in tracks)


def test_3d_keypoints_are_refused(tmp_path):
    """mmpose's 3D lifter writes the same schema with x, y, z in metres."""
    pose3d = np.random.default_rng(0).normal(0, 0.3, (17, 3))
    fx.write(tmp_path / 'pred3d.json', {'meta_info': {'dataset_name': 'h36m'}, 'instance_info': [
        {'frame_id': 1, 'instances': [{'keypoints': pose3d.tolist(),
                                       'keypoint_scores': [1.0] * 17}]}]})
    with pytest.raises(PoseError, match='3D'):
        read_keypoint_file(str(tmp_path / 'pred3d.json'))
    np.save(tmp_path / 'metres.npy', np.random.default_rng(1).normal(0, 0.3, (4, 17, 2)))
    with pytest.raises(PoseError, match='not pixels of an image'):
        read_keypoint_file(str(tmp_path / 'metres.npy'), 'h36m')


def test_fractions_of_the_image_need_its_size(tmp_path):
    """OpenPose run with --keypoint_scale 3 writes 0..1 coordinates."""
    frames = [[coco((2.0 * i, 0))] for i in range(3)]
    scaled = [[p * np.array([1 / 1920, 1 / 1080, 1]) for p in people] for people in frames]
    folder = fx.openpose_folder(tmp_path / 'op', [[_to_body25(p) for p in people]
                                                  for people in scaled])
    with pytest.raises(PoseError, match='fractions of the image .* --image-size'):
        read_keypoint_file(str(folder))
    det = read_keypoint_file(str(folder), image_size=(1920, 1080))
    got = det.frames[0][1][0]['points']
    want = _to_body25(frames[0][0])
    np.testing.assert_allclose(got[want[:, 2] > 0, :2], want[want[:, 2] > 0, :2], atol=1e-6)


def _to_body25(coco_points):
    """BODY_25 keypoints of the same person (the fixture's neck, mid-hip and feet)."""
    return fx.person_points('body25') if coco_points is None else _body25_like(coco_points)


def _body25_like(p):
    out = np.zeros((25, 3))                  # feet keypoints not found: (0, 0, 0)
    names = LAYOUTS['body25']
    for k, name in enumerate(LAYOUTS['coco']):
        out[names.index(name)] = p[k]
    out[names.index('Neck')] = (p[5] + p[6]) / 2
    out[names.index('Hip')] = (p[11] + p[12]) / 2
    return out


def test_a_panning_crowd_keeps_its_tracks():
    """Ten players, the camera panning 25 px a frame and players running up to 35 px a frame
    more: ten tracks of 30 frames."""
    rng = np.random.default_rng(0)
    starts = rng.uniform(-800, 800, size=(10, 2)) * np.array([1, 0.2])
    speeds = rng.uniform(-35, 35, size=(10, 2))
    frames = []
    for i in range(30):
        people = [{'points': coco(tuple(starts[k] + i * (speeds[k] + [25.0, 0.0])), 0.6),
                   'score': 2.0, 'track': None} for k in rng.permutation(10)]
        frames.append((i, people))
    tracks = assign_tracks(frames, 'coco', LiftOptions())
    assert sorted(len(t['rows']) for t in tracks) == [30] * 10


def broadcast(seed, frames=130, players=10):
    """A broadcast of a game: small players (about 50 px of body size) wandering and crossing,
    each missed in 15 % of the frames, a camera that pans back and forth by up to two body
    sizes a frame with jerky accelerations; detections in no order. Returns (frames, the
    camera's pan (F,) px)."""
    rng = np.random.default_rng(seed)
    where = rng.uniform([-500, -50], [500, 50], size=(players, 2))
    velocity = rng.normal(0, 4, size=(players, 2))
    steps = (90 * np.sign(np.sin(np.linspace(0, 4 * np.pi, frames))) * rng.uniform(0.3, 1.2, frames)
             + rng.normal(0, 40, frames))
    pan = np.cumsum(steps)
    out = []
    for i in range(frames):
        velocity = np.clip(velocity + rng.normal(0, 1.0, size=velocity.shape), -8, 8)
        where += velocity
        people = []
        for k in rng.permutation(players):
            if rng.random() < 0.15:
                continue
            points = coco(tuple(where[k] - [pan[i], 0]), 0.3)
            points[:, :2] += rng.normal(0, 1.5, size=(17, 2))
            people.append({'points': points, 'score': 2.0, 'track': None})
        out.append((i, people))
    return out, pan


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_a_broadcast_with_a_fast_panning_camera_keeps_its_players(seed):
    """The tracker follows the camera: its estimate of the pan is within a few pixels of the
    truth each frame, and each of the ten players is one track over most of the clip (without
    the camera taken out: 43 to 67 tracks, 4 to 7 of them of half the clip or more)."""
    frames, pan = broadcast(seed)
    poses = [list(to_h36m(np.stack([p['points'] for p in people]), 'coco', 0.1))
             for _, people in frames]
    path = camera_path(poses)
    assert np.abs(np.diff(path[:, 0]) + np.diff(pan)).max() < 15          # the pan, found
    tracks = assign_tracks(frames, 'coco', LiftOptions())
    lengths = sorted((len(t['rows']) for t in tracks), reverse=True)
    assert len(tracks) == 10 and min(lengths) >= 100, lengths


def test_empty_detections_are_dropped_and_counted(tmp_path, trained_run, caplog):
    """mmpose's whole-image fallback boxes and OpenPose's empty entries see no keypoint."""
    empty = fx.person_points('coco')
    empty[:, 2] = 0.02
    frames = [[coco((3.0 * i, 0)), empty.copy()] for i in range(5)]
    path = fx.mmpose_file(tmp_path / 'results_video.json', frames)
    with caplog.at_level(logging.INFO):
        result = Lifter.load(model_of(trained_run)).lift_file(path)
    assert len(result.people) == 1 and len(result.people[0].rows) == 5
    assert 'dropped 5 detection(s) that see no keypoint' in caplog.text


def test_hostile_keypoint_files(tmp_path, trained_run):
    model = model_of(trained_run)
    bad = {
        'nan_id.json': ('[{"image_id": NaN, "keypoints": %s, "score": 1}]'
                        % json.dumps(coco().ravel().tolist()), 'not a finite number'),
        'inf_id.json': ('[{"image_id": 1e400, "keypoints": %s, "score": 1}]'
                        % json.dumps(coco().ravel().tolist()), 'not a finite number'),
        'deep.json': ('[' * 100000 + ']' * 100000, 'nested too deeply'),
    }
    for name, (text, message) in bad.items():
        (tmp_path / name).write_text(text)
        proc = run_cli('infer.py', '--model', model, '--input', tmp_path / name, '--output',
                       tmp_path / 'o.json')
        one_line_error(proc, message)
    # Two images sharing an id.
    ann = json.loads(open(fx.coco_annotations(tmp_path / 'ann.json', [[coco()], [coco()]])).read())
    ann['images'][1]['id'] = ann['images'][0]['id']
    fx.write(tmp_path / 'ann.json', ann)
    with pytest.raises(PoseError, match='images share the id'):
        read_keypoint_file(str(tmp_path / 'ann.json'))
    # COCO-ordered keypoints said to be in Human3.6M order.
    np.save(tmp_path / 'coco.npy', np.stack([coco((2.0 * i, 0)) for i in range(5)]))
    with pytest.raises(PoseError, match='look like coco order'):
        read_keypoint_file(str(tmp_path / 'coco.npy'), 'h36m')
    # MediaPipe's own image size out of range.
    for size in ([-1000, -1000], [0, 0]):
        path = fx.mediapipe_file(tmp_path / 'mp.json', [[fx.person_points('mediapipe')]],
                                 size=(1920, 1080))
        data = json.load(open(path))
        data['image_size'] = size
        fx.write(tmp_path / 'mp.json', data)
        with pytest.raises(PoseError, match='image_size: image size'):
            read_keypoint_file(str(tmp_path / 'mp.json'))
    # A FIFO and a link loop as --input.
    os.mkfifo(tmp_path / 'fifo.json')
    with pytest.raises(PoseError, match='a device, FIFO or socket'):
        read_keypoint_file(str(tmp_path / 'fifo.json'))
    os.symlink(tmp_path / 'loop_b', tmp_path / 'loop_a')
    os.symlink(tmp_path / 'loop_a', tmp_path / 'loop_b')
    with pytest.raises(PoseError, match='broken or looping link'):
        read_keypoint_file(str(tmp_path / 'loop_a'))


def test_a_frame_on_one_pixel_is_left_out(tmp_path, trained_run):
    frames = [[coco((2.0 * i, 0))] for i in range(4)]
    frames[2][0][:, :2] = [640.0, 360.0]
    path = fx.coco_results(tmp_path / 'dot.json', frames)
    result = Lifter.load(model_of(trained_run)).lift_file(path)
    assert sorted(int(r) for p in result.people for r in p.rows) == [0, 1, 3]
    assert [p.left_out for p in result.people if p.left_out] == [
        [(2, 'every keypoint on one point: no body to lift')]]


def test_poses_no_human_makes_are_left_out_with_their_reason(tmp_path, trained_run, caplog):
    """An upside-down spurious detection (a 40-pixel tangle, as AlphaPose writes them) and one
    whose shin spans most of the body are left out and counted; the person beside them is
    lifted in every frame, and no lifted joint lies beyond the reach of a human."""
    upside_down = coco((400.0, 300.0), 0.07)
    upside_down[:, 1] = 2 * upside_down[[11, 12], 1].mean() - upside_down[:, 1]   # flipped
    stretched = coco((-600.0, 0.0), 0.5)
    stretched[LAYOUTS['coco'].index('RAnkle'), :2] += [40.0, 900.0]
    frames = [[coco((2.0 * i, 0))] + ([upside_down] if i == 2 else [])
              + ([stretched] if i == 4 else []) for i in range(8)]
    path = fx.coco_results(tmp_path / 'spurious.json', frames)
    with caplog.at_level(logging.WARNING):
        result = Lifter.load(model_of(trained_run)).lift_file(path)
    reasons = [reason for p in result.people for _, reason in p.left_out]
    assert len(reasons) == 2 and any('upside down' in r for r in reasons)
    assert any('the bone RKnee-RFoot spans' in r for r in reasons)
    assert max(len(p.rows) for p in result.people) == 8
    lifted = np.concatenate([p.pose3d for p in result.people])
    assert np.linalg.norm(lifted - lifted[:, :1], axis=-1).max() <= 1300
    assert 'left out: a 2D pose no human makes' in caplog.text


def test_left_out_frames_are_logged_once_a_reason(tmp_path, trained_run, caplog):
    """Twenty people each missing their legs in a few frames: one log line for the reason, with
    the counts, however many people; the output keeps each frame's own reason."""
    legs = ('LHip', 'RHip', 'LKnee', 'RKnee', 'LAnkle', 'RAnkle')
    frames = [[coco((300.0 * k, 0.0), 0.5, hide=legs if i % 4 == 1 else ()) for k in range(20)]
              for i in range(8)]
    path = fx.coco_results(tmp_path / 'crowd.json', frames)
    with caplog.at_level(logging.WARNING):
        result = Lifter.load(model_of(trained_run)).lift_file(path)
    lines = [r.getMessage() for r in caplog.records if 'left out' in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith(
        '40 frame(s) of 20 person(s) left out: too many input joints missing (e.g. images ')
    assert sum(len(p.left_out) for p in result.people) == 40


def test_crowds_are_tracked_in_time_and_beyond_reason_refused():
    """1,000 people in a frame track in seconds (the cost matrix is computed whole); more than
    that is refused, not minutes of work."""
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 20000, size=(1000, 2))
    frames = [(i, [{'points': coco(tuple(starts[k] + 2.0 * i), 0.2), 'score': 1.0,
                    'track': None} for k in range(1000)]) for i in range(3)]
    start = time.time()
    tracks = assign_tracks(frames, 'coco', LiftOptions())
    assert len(tracks) == 1000 and time.time() - start < 30
    crowd = [(0, frames[0][1] * 11)]
    with pytest.raises(PoseError, match='11000 detections in one frame'):
        assign_tracks(crowd, 'coco', LiftOptions())


def test_non_utf8_file_names_are_logged_escaped(tmp_path, trained_run):
    frames = [[coco((2.0 * i, 0))] for i in range(3)]
    name = os.fsdecode(b'caf\xe9.json')
    path = fx.coco_results(tmp_path / name, frames)
    env = dict(os.environ, PYTHONIOENCODING='utf-8:strict', LC_ALL='C.UTF-8')
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, 'infer.py', '--model', model_of(trained_run),
                           '--input', path, '--output', str(tmp_path / 'o.json')],
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          capture_output=True, env=env)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert b'Logging error' not in proc.stderr and b'Traceback' not in proc.stderr


def test_tracking_options_are_checked_and_used(tmp_path, trained_run):
    frames = [[coco((0.0, 0))], [coco((60.0, 0))], [coco((120.0, 0))]]    # 60 px a frame
    path = fx.coco_results(tmp_path / 'fast.json', frames)
    lifter = Lifter.load(model_of(trained_run))
    assert len(lifter.lift_file(path).people) == 1
    assert len(lifter.lift_file(path, gate=0.05).people) == 3       # a tight gate: 3 tracks
    with pytest.raises(PoseError, match='gate'):
        lifter.lift_file(path, gate=0)
    proc = run_cli('infer.py', '--model', model_of(trained_run), '--input', path, '--output',
                   tmp_path / 'o.json', '--track-max-gap', -1)
    one_line_error(proc, '--track-max-gap')
