"""Lifted tracks as BVH (lib.infer.bvh_export, LiftResult.to_bvh, infer.py --bvh): the written
file read back by this project's reader and by an independent one (bvhio, from PyPI) gives
the lifted joints after the fixed bone lengths, Y up and facing forward, every frame of the
input, no flips, the feet on the floor; the root in place or moving."""
import os

import bvhio
import numpy as np
import pytest

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.resources import DEFAULT_CAMERAS
from lib.data.arrays import camera_view
from lib.data.cameras import load_cameras
from lib.data.mocap import bvh
from lib.data.synthetic import sequence
from lib.infer import bvh_export
from lib.infer.pipeline import LiftedPerson, LiftResult
from lib.infer.smoothing import smooth_track
from tests.conftest import one_line_error, run_cli

J = bvh_export.J
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'doc', 'examples',
                       'walk_coco.json')


def walking_track(frames=80, gap=()):
    """A synthetic walk (subject 9) seen by Human3.6M's camera 1, as a lift would give it: the
    3D in the camera frame relative to the pelvis (with a few mm of noise), the 2D in pixels;
    the frames of `gap` left out."""
    world = sequence(9, 14, 1, frames, 0)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    pose3d, pose2d = camera_view(world, load_cameras(DEFAULT_CAMERAS)[9][0], False)
    noisy = pose3d - pose3d[:, :1] + np.random.default_rng(0).normal(0, 3, pose3d.shape)
    noisy[:, 0] = 0
    rows = np.array([f for f in range(frames) if f not in gap])
    person = LiftedPerson(0, rows, pose2d[rows], noisy[rows].astype(np.float32), {}, [])
    return person, LiftResult('array', 'h36m', list(range(frames)), [], [person], False, {})


def read_back(path):
    skeleton, motion, frame_time = bvh.read_bvh(path)
    return skeleton, motion, frame_time, bvh.forward_kinematics(skeleton, motion) * 10.0  # mm


def expected_joints(person, frames):
    """The lifted joints in the animation's world, with the fixed bone lengths."""
    world, _ = bvh_export.world_poses(bvh_export.filled(person.pose3d, person.rows, frames))
    world = world @ bvh_export.facing_turn(world).T
    return bvh_export.fixed_lengths(world, bvh_export.bone_lengths(world))


def test_the_written_file_gives_back_the_lifted_joints(tmp_path):
    person, result = walking_track()
    path = str(tmp_path / 'walk.bvh')
    written = result.to_bvh(path, fps=50)
    assert list(written) == [0] and written[0][0] == path
    skeleton, motion, frame_time, fk = read_back(path)
    assert len(motion) == 80 and frame_time == pytest.approx(1 / 50, rel=1e-6)
    at = {name: k for k, name in enumerate(skeleton.names)}
    want = expected_joints(person, 80)
    want = want - want[:, :1] + fk[:, :1]                  # the root's own path aside
    for name, _, joint, _ in bvh_export.SKELETON:
        assert np.abs(fk[:, at[name]] - want[:, J[joint]]).max() < 1.0, name    # mm
    for child in range(1, h36m.NUM_JOINTS):
        parent = h36m.PARENTS[child]
        ours = fk[:, at[_bvh_of(child)]] - fk[:, at[_bvh_of(parent)]]
        lifted = want[:, child] - want[:, parent]
        cosine = np.sum(ours * lifted, axis=-1) / (np.linalg.norm(ours, axis=-1)
                                                  * np.linalg.norm(lifted, axis=-1))
        assert np.degrees(np.arccos(np.clip(cosine, -1, 1))).max() < 1.0, child
    # An independent reader (bvhio) puts every joint at the same place.
    root = bvhio.readAsHierarchy(path)
    joints = {joint.Name: joint for joint, _, _ in root.layout()}
    for frame in (0, 41, 79):
        root.loadPose(frame)
        for name in bvh_export.NAMES:
            assert np.abs(np.array(joints[name].PositionWorld) * 10 - fk[frame, at[name]]).max() \
                < 1.0, (frame, name)


def _bvh_of(joint):
    """The BVH joint that starts at a Human3.6M joint (its own, not a helper at the pelvis)."""
    name = h36m.JOINT_NAMES[joint]
    special = {'Hip': 'Hips', 'Thorax': 'Neck', 'Head': 'Head_end'}
    if name in special:
        return special[name]
    return next(n for n, _, at, _ in bvh_export.SKELETON if at == name)


def test_upright_forward_on_the_floor_and_without_flips(tmp_path):
    person, result = walking_track(gap=range(30, 36))
    result.to_bvh(str(tmp_path / 'walk.bvh'))
    skeleton, motion, _, fk = read_back(str(tmp_path / 'walk.bvh'))
    at = skeleton.names.index
    assert len(motion) == 80                                    # the gap is filled
    assert np.all(fk[:, at('Head'), 1] > fk[:, at('Hips'), 1])                 # Y up
    assert np.all(fk[:, at('Hips'), 1] > fk[:, at('LeftFoot'), 1])
    # Facing +Z (a 3D tool's front view) on the whole, whichever way the camera saw the walk:
    # the hips' line crossed with the trunk points along +Z, the left at +X.
    hips = fk[:, at('LeftUpLeg')] - fk[:, at('RightUpLeg')]
    facing = np.cross(hips, fk[:, at('Spine')] - fk[:, at('Hips')])
    assert np.median(facing[:, 2] / np.linalg.norm(facing, axis=1)) > 0.9
    assert np.mean(fk[:, at('LeftArm'), 0] - fk[:, at('RightArm'), 0]) > 0
    # In place: the root above the origin, the lowest foot on the floor in every frame.
    assert np.allclose(motion[:, [0, 2]], 0)
    assert np.abs(fk[:, :, 1].min(axis=1)).max() < 1.0
    # No channel jumps between frames (unwrapped angles of a smooth walk).
    assert np.abs(np.diff(motion[:, 3:], axis=0)).max() < 45


def test_root_motion_follows_the_pelvis_across_the_image(tmp_path):
    person, result = walking_track()
    written = result.to_bvh(str(tmp_path / 'walk.bvh'), root_motion=True,
                            image_size=(1000, 1000))
    _, motion, _, fk = read_back(written[0][0])
    path = motion[:, :3] * 10
    assert np.linalg.norm(path[-1] - path[0]) > 300                # it walks somewhere
    assert np.isclose(fk[:, :, 1].min(), 0, atol=10)              # the track's lowest foot
    raw, shown = written[0][1:]
    assert raw > 0 and shown > 0
    # The written motion is as smooth as the lift it is given: smoothed (infer.py --smooth 2),
    # its joints accelerate less than the raw lift's.
    person.pose3d = smooth_track(person.pose3d, person.rows, 2.0)[0]
    smoothed = result.to_bvh(str(tmp_path / 'smooth.bvh'))[0][2]
    assert smoothed < 0.5 * raw


def test_infer_writes_a_bvh_a_track_and_checks_its_options(tmp_path):
    out = tmp_path / 'walk.json'
    proc = run_cli('infer.py', '--input', EXAMPLE, '--output', out, '--bvh', tmp_path / 'walk.bvh',
                   '--fps', 25)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(os.listdir(tmp_path)) == ['walk.bvh', 'walk.json', 'walk_3d.npy',
                                            'walk_person1.bvh']
    _, motion, frame_time, _ = read_back(str(tmp_path / 'walk.bvh'))
    assert len(motion) == 24 and frame_time == pytest.approx(0.04)
    assert 'mean joint acceleration' in proc.stdout
    for option, value, message in (('--bvh', 'x.fbx', 'expected a .bvh file name'),
                                   ('--fps', '0', 'expected frames a second in [1, 1000]')):
        args = ['--bvh', tmp_path / 'y.bvh', option, value] if option == '--fps' else \
            [option, tmp_path / value]
        one_line_error(run_cli('infer.py', '--input', EXAMPLE, '--output', tmp_path / 'y.json',
                               *args), option, message)
    person, result = walking_track()
    with pytest.raises(PoseError, match='fps 0.5: expected frames a second'):
        result.to_bvh(str(tmp_path / 'z.bvh'), fps=0.5)
