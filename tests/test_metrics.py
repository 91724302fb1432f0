"""Protocol #1 and #2 on hand-made cases."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lib.core import h36m
from lib.eval.metrics import by_action, procrustes_align, protocol_errors


def random_poses(n, seed=0):
    rng = np.random.default_rng(seed)
    pose = rng.normal(0, 300, size=(n, 17, 3))
    pose[:, 0] = 0
    return pose


def test_rotated_scaled_shifted_copy_has_zero_pa_mpjpe():
    gt = random_poses(50)
    rot = Rotation.random(50, random_state=1).as_matrix()
    pred = 0.7 * np.einsum('nij,nkj->nki', rot, gt) + np.array([10.0, -40.0, 900.0])
    err = protocol_errors(pred, gt)
    assert err['p2'].max() < 1e-3      # mm; the metrics run in float32
    assert err['p1'].min() > 10        # and Protocol #1 does see the difference
    # The alignment itself is exact in float64.
    np.testing.assert_allclose(procrustes_align(pred, gt), gt, atol=1e-8)


def test_reflection_is_not_aligned_away():
    gt = random_poses(20, seed=3)
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    assert protocol_errors(mirrored, gt)['p2'].min() > 1.0


def test_alignment_matches_a_per_frame_reference():
    gt = random_poses(10, seed=5)
    pred = gt + np.random.default_rng(6).normal(0, 40, size=gt.shape)
    aligned = procrustes_align(pred, gt)
    for i in range(10):
        # Direct least squares over scale*rotation per frame (orthogonal Procrustes).
        p = pred[i] - pred[i].mean(0)
        g = gt[i] - gt[i].mean(0)
        u, s, vt = np.linalg.svd(p.T @ g)
        d = np.sign(np.linalg.det(u @ vt))
        r = u @ np.diag([1, 1, d]) @ vt
        scale = (s * [1, 1, d]).sum() / (p ** 2).sum()
        np.testing.assert_allclose(aligned[i], scale * p @ r + gt[i].mean(0), atol=1e-8)
        # ... and it is no worse than the unaligned prediction
        assert np.linalg.norm(aligned[i] - gt[i]) <= np.linalg.norm(pred[i] - gt[i])


def test_mpjpe_uses_the_17_joint_convention():
    gt = random_poses(3)
    pred = gt.copy()
    pred[:, 1:, 0] += 17.0           # every one of the 16 predicted joints is 17 mm off
    err = protocol_errors(pred, gt)
    np.testing.assert_allclose(err['p1'], 16.0, rtol=1e-6)       # 16 * 17 / 17
    np.testing.assert_allclose(err['p1_joints'][:, 0], 0.0)
    np.testing.assert_allclose(err['p1_axes'], [[16.0, 0, 0]] * 3, rtol=1e-6, atol=1e-4)


def test_average_is_over_actions_and_all_frames_over_frames():
    values = np.array([1.0, 1.0, 1.0, 4.0])
    actions = np.array([2, 2, 2, 3])
    out = by_action(values, actions)
    assert out['Directions'] == 1.0 and out['Discussion'] == 4.0
    assert out['Average'] == pytest.approx(2.5)
    assert out['All frames'] == pytest.approx(7.0 / 4)
    assert 'Eating' not in out
    assert list(out)[:2] == [h36m.ACTIONS[2], h36m.ACTIONS[3]]


def _poses(n=4, seed=0):
    rng = np.random.default_rng(seed)
    pose = rng.normal(0, 300, size=(n, 17, 3))
    pose[:, 0] = 0
    return pose


def test_a_scaled_copy_has_zero_n_mpjpe_but_not_zero_mpjpe():
    gt = _poses()
    errors = protocol_errors(1.3 * gt, gt)
    np.testing.assert_allclose(errors['p3'], 0, atol=1e-3)
    assert np.all(errors['p1'] > 10)


def test_a_constant_offset_over_a_sequence_has_zero_mpjve():
    from lib.eval.metrics import velocity_errors
    gt = _poses(6)
    ids = np.zeros((6, 5), np.int64)
    ids[:, 4] = np.arange(6)
    err = velocity_errors(gt + [25.0, -10.0, 40.0], gt, ids)
    assert np.isnan(err[0]) and np.allclose(err[1:], 0)
    # A frame of another recording starts afresh; a jump of 2 frames divides by 2.
    ids[3, 3] = 2
    moved = gt.copy()
    moved[5] += 30.0
    ids[4:, 3] = 2
    ids[5, 4] = 6
    err = velocity_errors(moved, gt, ids)
    assert np.isnan(err[3]) and err[4] == 0
    np.testing.assert_allclose(err[5], 30.0 * np.sqrt(3) / 2, rtol=1e-6)   # 17 joints moved


def test_pck_and_auc():
    gt = _poses()
    direction = np.random.default_rng(1).normal(size=(4, 17, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    direction[:, 0] = 0                                             # the root stays at 0
    errors = protocol_errors(gt + 149.0 * direction, gt)
    np.testing.assert_allclose(errors['pck150'], 1.0)
    errors = protocol_errors(gt + 151.0 * direction, gt)
    np.testing.assert_allclose(errors['pck150'], 1 / 17)           # only the root, at 0
    np.testing.assert_allclose(protocol_errors(gt, gt)['auc'], 1.0)
    # Errors of 72.5 mm on the 16 joints: PCK is 1/17 below 72.5 and 1 from 75 on.
    errors = protocol_errors(gt + 72.5 * direction, gt)
    expected = (15 * 1 / 17 + 16 * 1.0) / 31
    np.testing.assert_allclose(errors['auc'], expected)


def test_diagnostics_give_a_known_tilt_and_a_short_limb():
    """A body leaning back by a known angle under the camera (the feet farther than the pelvis)
    against a prediction upright and square to it, with one shin 100 mm short: the depths and
    bone lengths are those of the construction."""
    from lib.eval.diagnostics import BONE_NAMES, bone_lengths, format_diagnostics, joint_depths, \
        pose_diagnostics
    upright = np.zeros((1, 17, 3))
    names = list(h36m.JOINT_NAMES)
    # y down, z forward: the legs hang 900 mm below the pelvis, the head 700 mm above.
    for joint, y in (('RKnee', 450), ('RFoot', 900), ('LKnee', 450), ('LFoot', 900),
                     ('Spine', -250), ('Thorax', -500), ('Neck/Nose', -600), ('Head', -700),
                     ('LShoulder', -500), ('RShoulder', -500), ('LElbow', -250),
                     ('RElbow', -250), ('LWrist', 0), ('RWrist', 0)):
        upright[0, names.index(joint), 1] = y
    for joint, x in (('RHip', -100), ('RKnee', -100), ('RFoot', -100), ('LHip', 100),
                     ('LKnee', 100), ('LFoot', 100), ('LShoulder', 150), ('LElbow', 150),
                     ('LWrist', 150), ('RShoulder', -150), ('RElbow', -150),
                     ('RWrist', -150)):
        upright[0, names.index(joint), 0] = x
    angle = np.radians(10.0)                     # the camera looks down by 10 degrees
    turn = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)],
                     [0, np.sin(angle), np.cos(angle)]])
    truth = upright @ turn.T
    pred = upright.copy()
    pred[0, names.index('RFoot'), 1] -= 100      # the right shin 100 mm short
    depths = joint_depths(truth)
    assert np.isclose(depths[names.index('RFoot')], 900 * np.sin(angle))
    assert np.isclose(depths[names.index('Head')], -700 * np.sin(angle))
    assert np.allclose(joint_depths(pred), 0)
    shin = BONE_NAMES.index('RKnee-RFoot')
    assert np.isclose(bone_lengths(truth)[shin], 450) and np.isclose(bone_lengths(pred)[shin], 350)
    assert np.allclose(np.delete(bone_lengths(truth), shin), np.delete(bone_lengths(pred), shin))
    table = pose_diagnostics(pred, truth)
    assert table['depth_mm']['LFoot'] == {'true': pytest.approx(900 * np.sin(angle)),
                                          'predicted': 0.0}
    assert table['bone_mm']['RKnee-RFoot']['predicted'] == pytest.approx(350)
    assert any('RKnee-RFoot' in line and '-100.0' in line
               for line in format_diagnostics(table, markdown=True))
