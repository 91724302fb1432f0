"""infer.py on each input format, the keypoint mappings, ONNX parity, and bad input files."""
import json
import os

import numpy as np
import pytest

from lib import h36m
from lib.dataset import load_subjects
from lib.errors import PoseError
from lib.keypoints import BODY25_TO_H36M, COCO_TO_H36M, read_keypoints, rescale_to_training, to_h36m
from lib.normalization import load_stats
from tests.conftest import run_cli


def coco_points():
    """17 COCO keypoints with distinct, easy coordinates: joint i at (10 i, 100 + i)."""
    pts = np.stack([np.arange(17) * 10.0, 100.0 + np.arange(17), np.linspace(0.5, 1, 17)], axis=1)
    return pts


def test_coco_mapping_by_hand():
    pts = coco_points()
    out = to_h36m(pts[None], COCO_TO_H36M)[0]
    np.testing.assert_allclose(out[0, :2], [(110 + 120) / 2, 100 + 11.5])   # pelvis: mid-hips
    np.testing.assert_allclose(out[1, :2], pts[12, :2])                    # RHip
    np.testing.assert_allclose(out[3, :2], pts[16, :2])                    # RFoot = right ankle
    np.testing.assert_allclose(out[4, :2], pts[11, :2])                    # LHip
    np.testing.assert_allclose(out[8, :2], [(50 + 60) / 2, 105.5])         # thorax: mid-shoulders
    np.testing.assert_allclose(out[7, :2], (out[0, :2] + out[8, :2]) / 2)  # spine
    np.testing.assert_allclose(out[10, :2], pts[1:5, :2].mean(axis=0))     # head: eyes and ears
    np.testing.assert_allclose(out[13, :2], pts[9, :2])                    # LWrist
    np.testing.assert_allclose(out[16, :2], pts[10, :2])                   # RWrist
    assert out[0, 2] == min(pts[11, 2], pts[12, 2])


def test_body25_mapping_by_hand():
    pts = np.stack([np.arange(25) * 10.0, 200.0 - np.arange(25), np.ones(25)], axis=1)
    out = to_h36m(pts[None], BODY25_TO_H36M)[0]
    np.testing.assert_allclose(out[0, :2], pts[8, :2])          # MidHip
    np.testing.assert_allclose(out[8, :2], pts[1, :2])          # Neck as thorax
    np.testing.assert_allclose(out[2, :2], pts[10, :2])         # RKnee
    np.testing.assert_allclose(out[6, :2], pts[14, :2])         # LAnkle
    np.testing.assert_allclose(out[11, :2], pts[5, :2])         # LShoulder
    np.testing.assert_allclose(out[15, :2], pts[3, :2])         # RElbow
    np.testing.assert_allclose(out[10, :2], pts[15:19, :2].mean(axis=0))


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


def write_formats(tmp_path, pose2d):
    """The same frames (N, 17, 2) written as h36m JSON and .npy; COCO and BODY_25 built from it."""
    files = {}
    files['h36m'] = tmp_path / 'h36m.json'
    files['h36m'].write_text(json.dumps({'keypoints': pose2d.tolist()}))
    files['npy'] = tmp_path / 'h36m.npy'
    np.save(files['npy'], pose2d)
    coco = np.zeros((len(pose2d), 17, 3))
    inverse = {1: 12, 2: 14, 3: 16, 4: 11, 5: 13, 6: 15, 11: 5, 12: 7, 13: 9, 14: 6, 15: 8, 16: 10}
    for h, c in inverse.items():
        coco[:, c, :2] = pose2d[:, h]
    coco[:, 0, :2] = pose2d[:, 9]
    coco[:, 1:5, :2] = pose2d[:, 10:11]
    coco[..., 2] = 0.9
    files['coco'] = tmp_path / 'coco.json'
    files['coco'].write_text(json.dumps([{'image_id': i, 'keypoints': coco[i].ravel().tolist(),
                                          'score': 1.0} for i in range(len(pose2d))]))
    folder = tmp_path / 'openpose'
    folder.mkdir()
    for i in range(len(pose2d)):
        body = np.zeros((25, 3))
        body[:, 2] = 0.8
        for h, b in {0: 8, 1: 9, 2: 10, 3: 11, 4: 12, 5: 13, 6: 14, 8: 1, 9: 0, 11: 5, 12: 6,
                     13: 7, 14: 2, 15: 3, 16: 4}.items():
            body[b, :2] = pose2d[i, h]
        body[15:19, :2] = pose2d[i, 10]
        (folder / ('clip_%012d_keypoints.json' % i)).write_text(
            json.dumps({'version': 1.3, 'people': [{'pose_keypoints_2d': body.ravel().tolist()}]}))
    files['body25'] = folder
    return files


def test_infer_matches_test_py_and_reads_every_format(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
                   '--model', model, '--save-predictions')
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = np.load(model[:-7] + '_predictions.npz')
    test = load_subjects(trained_run['data'], [9, 11])
    np.testing.assert_array_equal(saved['ids'], test['ids'])
    pick = np.array([0, 500, 1234, 2800])
    files = write_formats(tmp_path, test['pose2d'][pick].astype(np.float64))
    outputs = {}
    for fmt, path in files.items():
        out = tmp_path / ('out_%s.json' % fmt)
        proc = run_cli('infer.py', '--model', model, '--input', path, '--output', out,
                       '--format', 'h36m' if fmt == 'npy' else fmt, '--rescale', 'no')
        assert proc.returncode == 0, (fmt, proc.stderr[-2000:])
        result = json.load(open(out))
        assert result['joint_names'] == list(h36m.JOINT_NAMES) and result['units'] == 'mm'
        assert len(result['people']) == 1 and result['people'][0]['frames'] == [0, 1, 2, 3]
        outputs[fmt] = np.array(result['people'][0]['poses3d'])
        assert np.load(str(out)[:-5] + '.npy').shape == (1, 4, 17, 3)
    # The synthetic test frames lifted by infer.py give test.py's predictions for them.
    np.testing.assert_allclose(outputs['h36m'], saved['pred3d'][pick], atol=2e-3)
    np.testing.assert_allclose(outputs['npy'], outputs['h36m'], atol=2e-3)
    # COCO and OpenPose lack pelvis, spine and thorax, which are derived from hips and
    # shoulders: the same people, lifted a little differently.
    direct = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
    for fmt in ('coco', 'body25'):
        points = read_keypoints(str(files[fmt]), fmt)[0]['points']
        np.testing.assert_allclose(points[:, direct, :2], test['pose2d'][pick][:, direct], atol=1e-3)
        gap = np.linalg.norm(outputs[fmt] - outputs['h36m'], axis=-1).mean()
        assert 0 < gap < 40, (fmt, gap)
    np.testing.assert_allclose(outputs['h36m'][:, 0], 0.0)
    # Rescaled by default for detector formats: still a pose in mm, different numbers.
    out = tmp_path / 'rescaled.json'
    proc = run_cli('infer.py', '--model', model, '--input', files['coco'], '--output', out,
                   '--format', 'coco', '--figures', tmp_path / 'figs', '--max-figures', 2)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.load(open(out))['rescaled_2d'] is True
    assert sorted(os.listdir(tmp_path / 'figs')) == ['person0_frame00000.png', 'person0_frame00001.png']


def test_onnx_matches_mxnet(tmp_path, trained_run):
    import onnxruntime as ort
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    onnx_path = tmp_path / 'model.onnx'
    proc = run_cli('export.py', '--model', model, '--onnx', onnx_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    test = load_subjects(trained_run['data'], [9])
    stats = load_stats(os.path.join(trained_run['run'], 'meanstd.npz'))
    inputs = test['pose2d'][:, list(h36m.INPUT_JOINTS)].reshape(-1, 32).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    import mxnet as mx
    from config import load_config
    from lib import runs
    from lib.evaluation import predict_poses
    from lib.model import build_network
    cfg = load_config(os.path.join(trained_run['run'], 'hyperParams.yaml'))
    net = build_network(cfg.NETWORK)
    runs.load_parameters(net, model, [mx.cpu()])
    reference = predict_poses(net, test['pose2d'], stats, mx.cpu(), 256)[:, 1:].reshape(-1, 48)
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
    ('bad.json', '{not json', 'h36m', 'not valid JSON'),
    ('short.json', json.dumps([[[1, 2]] * 15]), 'h36m', 'expected 17 keypoints'),
    ('nan.json', json.dumps([[[1, 2]] * 16 + [['NaN', 2]]]), 'h36m', 'NaN'),
    ('empty.json', '[]', 'h36m', 'no frames'),
    ('empty.json', '', 'coco', 'not valid JSON'),
    ('coco.json', json.dumps([{'image_id': 1, 'keypoints': [1] * 50}]), 'coco', 'expected 17'),
    ('nobody.json', json.dumps({'people': []}), 'body25', 'no person'),
])
def test_bad_input_files(tmp_path, trained_run, name, content, fmt, fragment):
    path = tmp_path / name
    path.write_text(content)
    out = tmp_path / 'out.json'
    proc = run_cli('infer.py', '--model', os.path.join(trained_run['run'], 'Model_epoch6.params'),
                   '--input', path, '--format', fmt, '--output', out)
    _one_line_error(proc, name, fragment)
    assert not out.exists()


def test_low_confidence_error_or_previous_frame(tmp_path):
    pts = np.tile(coco_points(), (3, 1, 1))
    pts[1, 13, 2] = 0.01                         # left knee unsure in frame 1
    path = tmp_path / 'c.json'
    path.write_text(json.dumps([{'image_id': i, 'keypoints': pts[i].ravel().tolist()} for i in range(3)]))
    track = read_keypoints(str(path), 'coco')[0]
    from lib.keypoints import fill_low_confidence
    with pytest.raises(PoseError, match='frame 1 joint 5 has confidence 0.01'):
        fill_low_confidence(track, 0.1, 'error', str(path))
    filled = fill_low_confidence(track, 0.1, 'previous', str(path))
    np.testing.assert_allclose(filled[1, 5], track['points'][0, 5, :2])


def test_several_people_and_frames_without_anyone(tmp_path):
    folder = tmp_path / 'op'
    folder.mkdir()
    person = lambda shift: {'pose_keypoints_2d': (np.ones((25, 3)) * [shift, shift, 1]).ravel().tolist()}
    (folder / 'a_000_keypoints.json').write_text(json.dumps({'people': [person(1), person(2)]}))
    (folder / 'a_001_keypoints.json').write_text(json.dumps({'people': []}))
    (folder / 'a_002_keypoints.json').write_text(json.dumps({'people': [person(3)]}))
    tracks = read_keypoints(str(folder), 'body25')
    assert len(tracks) == 2
    assert tracks[0]['frames'].tolist() == [0, 2] and tracks[1]['frames'].tolist() == [0]
    assert tracks[0]['empty_frames'] == ['a_001_keypoints.json']
