"""Synthetic Human3.6M: a kinematic 32-joint skeleton moved by 15 action styles, written in the
annotation-folder layout with the real cameras, so that everything runs without the licensed data.

    python tools/synthetic.py data/ --frames 200 --seed 0

Each subject has its own proportions (height and limb lengths); each (subject, action,
subaction) sequence is a smooth motion at 50 frames a second: joint angles are sums of
rhythms (gait, gestures) and low-pass filtered noise, clipped to joint limits; the body walks
about the room or stays near a spot, stands or sits, and its feet rest on the floor. The same
world poses are written for the 4 cameras of the sequence, as in the real data. Same seed,
same files.
"""
import os

import numpy as np
from scipy.ndimage import gaussian_filter1d

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path
from lib.core.h36m import SOURCES
from lib.core.resources import DEFAULT_CAMERAS
from lib.data.cameras import load_h36m_cameras, project, save_cameras_h5, world_to_camera
from lib.data.h36m.annotation import annotation_path, folder_name, write_annotation
from lib.data.h36m.cdf import write_cdf
from lib.data.h36m.detections import write_sh_files
from lib.data.h36m.hdf5 import write_h5
from lib.data.h36m.videopose3d import save_npz
from lib.data.kinematics import Y_UP_TO_Z_UP, euler_zxy, rotation
from lib.data.mocap import bvh
from lib.data.synthetic.skeleton import (ANKLE_HEIGHT, FPS, LIMITS, PARENTS_32, action_angles,
                                         smooth_noise, subject_proportions)


def _root_path(n, speed, drift, rng):
    """Root position (n, 2) mm on the floor plane and heading (n,) radians."""
    if speed > 0:
        radius = rng.uniform(900, 1300, size=2)
        theta = rng.uniform(0, 2 * np.pi) + np.cumsum(np.full(n, speed / FPS)) / radius.mean()
        xy = np.stack([radius[0] * np.cos(theta), radius[1] * np.sin(theta)], axis=1)
        xy += rng.uniform(-200, 200, size=2)
        velocity = np.gradient(xy, axis=0)
        heading = np.unwrap(np.arctan2(velocity[:, 1], velocity[:, 0]))
        return xy, heading
    start = rng.uniform(-600, 600, size=2)
    wander = np.stack([smooth_noise(rng, n, 3.0, 100 + drift / 2),
                       smooth_noise(rng, n, 3.0, 100 + drift / 2)], axis=1)
    heading = rng.uniform(0, 2 * np.pi) + np.radians(smooth_noise(rng, n, 3.0, 25))
    xy = start + wander
    # Stay inside the capture area that all four cameras see (about 1.2 m around its centre).
    radius = np.linalg.norm(xy, axis=1, keepdims=True)
    return xy * np.minimum(1.0, 1200.0 / np.maximum(radius, 1e-9)), heading


def forward_kinematics(offsets, local_rotations, root_rotation, root_position):
    """World joints (T, 32, 3) from bone offsets (32, 3), local rotations {joint: (T, 3, 3)},
    root rotation (T, 3, 3) and root position (T, 3)."""
    n = root_position.shape[0]
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    glob = [None] * len(PARENTS_32)
    pos = np.zeros((n, len(PARENTS_32), 3))
    for j, parent in enumerate(PARENTS_32):
        local = local_rotations.get(j, eye)
        if parent < 0:
            glob[j] = root_rotation @ local
            pos[:, j] = root_position
        else:
            glob[j] = glob[parent] @ local
            pos[:, j] = pos[:, parent] + glob[parent] @ offsets[j]
    return pos


def sequence(subject, action, subaction, frames, seed):
    """World poses (frames, 32, 3) mm of one synthetic sequence."""
    return forward_kinematics(*sequence_motion(subject, action, subaction, frames, seed))


def sequence_motion(subject, action, subaction, frames, seed):
    """One synthetic sequence as a skeleton in motion: bone offsets (32, 3) mm, local rotations
    {joint: (T, 3, 3)}, root rotation (T, 3, 3) and root position (T, 3) mm, world z up."""
    rng = np.random.default_rng([seed, subject, action, subaction])
    offsets = subject_proportions(subject, seed)
    a = action_angles(action, frames, rng)
    deg = {k: np.radians(np.clip(v, *LIMITS[_limit_key(k)])) for k, v in a.items()
           if not k.startswith('_') and k != 'speed'}
    rx, ry, rz = (lambda v: rotation('x', v)), (lambda v: rotation('y', v)), (lambda v: rotation('z', v))
    local = {
        1: ry(-deg['hip_flex_r']) @ rx(-deg['hip_abd_r']),
        6: ry(-deg['hip_flex_l']) @ rx(deg['hip_abd_l']),
        2: ry(deg['knee_r']), 7: ry(deg['knee_l']),
        # Keep the feet roughly level: the ankle undoes part of hip and knee flexion.
        3: ry(0.6 * (deg['hip_flex_r'] - deg['knee_r'])),
        8: ry(0.6 * (deg['hip_flex_l'] - deg['knee_l'])),
        11: ry(deg['spine_flex'] * 0.6) @ rz(deg['spine_twist'] * 0.5) @ rx(deg['spine_side'] * 0.6),
        12: ry(deg['spine_flex'] * 0.4) @ rz(deg['spine_twist'] * 0.5) @ rx(deg['spine_side'] * 0.4),
        14: ry(deg['neck_pitch']) @ rz(deg['neck_yaw']),
        17: ry(-deg['sh_flex_l']) @ rx(deg['sh_abd_l']),
        25: ry(-deg['sh_flex_r']) @ rx(-deg['sh_abd_r']),
        18: ry(-deg['elbow_l']), 26: ry(-deg['elbow_r']),
    }
    xy, heading = _root_path(frames, a['speed'], a.get('_drift', 0.0), rng)
    # A sitting body leans its pelvis back a little; a walking one bobs.
    pelvis_pitch = -0.15 * np.radians(np.clip(a['hip_flex_r'] + a['hip_flex_l'], 0, 250) / 2)
    root_rot = rz(heading) @ ry(pelvis_pitch)
    root_pos = np.concatenate([xy, np.zeros((frames, 1))], axis=1)
    pose = forward_kinematics(offsets, local, root_rot, root_pos)
    # Put the lower ankle on the floor; smoothed so that the pelvis does not jump when the
    # supporting foot changes.
    floor = gaussian_filter1d(np.minimum(pose[:, 3, 2], pose[:, 8, 2]), 3.0, mode='nearest')
    root_pos[:, 2] += ANKLE_HEIGHT - floor
    return offsets, local, root_rot, root_pos


def _limit_key(name):
    for suffix in ('_r', '_l'):
        if name.endswith(suffix):
            name = name[:-2]
    return {'sh_flex': 'shoulder_flex', 'sh_abd': 'shoulder_abd', 'hip_flex': 'hip_flex',
            'hip_abd': 'hip_abd'}.get(name, name)


# The synthetic set can be written as every source reads it, and as the original
# 3d-pose-baseline's h36m.zip ('orig': 3D h5 files with the real releases' irregular names,
# Stacked Hourglass detection folders, cameras.h5).
FORMATS = SOURCES + ('orig', 'bvh')

# Names of the two recordings of an action in the real releases where they are not
# 'Action'/'Action 1' (the issue that asked for them lists these).
IRREGULAR_NAMES = {
    9: {'Directions': ('Directions 1', 'Directions 2'), 'Waiting': ('Waiting', 'Waiting 3'),
        'Eating': ('Eating', 'Eating 2'), 'Sitting': ('Sitting 1', 'Sitting 2'),
        'Phoning': ('Phoning 2', 'Phoning 3')},
    11: {'Sitting': ('Sitting 1', 'Sitting 2'), 'Phoning': ('Phoning 2', 'Phoning 3'),
         'Waiting': ('Waiting', 'Waiting 3')},
}
# Recordings whose Stacked Hourglass detections lack a camera in the real data: S11's first
# Directions has no file for camera 1 (54138969; a corrupt video), the other three exist.
NO_DETECTIONS = {(11, 2, 1): (1,)}
# Stacked Hourglass order (lib.core.layouts.LAYOUTS['sh16']) as indices of the 17 joints.
SH_FROM_H36M = [3, 2, 1, 4, 5, 6, 0, 7, 8, 10, 16, 15, 14, 11, 12, 13]


def recording_name(subject, action, subaction):
    """The file name of a recording in the official release, the original's files and
    VideoPose3D's: 'Directions' for the first, 'Directions 1' for the second, except where the
    real files are irregular (IRREGULAR_NAMES); subject 1 says 'TakingPhoto' and 'WalkingDog',
    as the real files do."""
    pair = IRREGULAR_NAMES.get(subject, {}).get(h36m.ACTIONS[action])
    if pair:
        return pair[subaction - 1]
    name = h36m.ACTIONS[action]
    if subject == 1:
        name = {'Photo': 'TakingPhoto', 'WalkDog': 'WalkingDog'}.get(name, name)
    return name if subaction == 1 else name + ' 1'


# BVH names of the 32 joints (Hips/LeftUpLeg family; joint 24, a second thorax at no offset,
# is left out; the leaves are End Sites).
BVH_NAMES = ('Hips', 'RightUpLeg', 'RightLeg', 'RightFoot', 'RightToeBase', None, 'LeftUpLeg',
             'LeftLeg', 'LeftFoot', 'LeftToeBase', None, 'Spine', 'Spine1', 'Neck', 'Head',
             'HeadTop', None, 'LeftArm', 'LeftForeArm', 'LeftHand', 'LeftHandIndex', None,
             'LeftHandThumb', None, 'Thorax2', 'RightArm', 'RightForeArm', 'RightHand',
             'RightHandIndex', None, 'RightHandThumb', None)
BVH_LEFT_OUT = 24
BVH_CHANNELS = ['Zrotation', 'Xrotation', 'Yrotation']


def motion_as_bvh(offsets, local, root_rotation, root_position):
    """A sequence_motion as a BVH skeleton (bvh.Skeleton, y up, cm) and its motion (1 + T,
    channels) in degrees, a rest frame first, as conversions of motion capture write them."""
    to_y_up = Y_UP_TO_Z_UP.T
    keep = [j for j in range(len(PARENTS_32)) if j != BVH_LEFT_OUT]
    names = [BVH_NAMES[j] or BVH_NAMES[PARENTS_32[j]] + '_end' for j in keep]
    parents = [keep.index(PARENTS_32[j]) if PARENTS_32[j] >= 0 else -1 for j in keep]
    channels = [['Xposition', 'Yposition', 'Zposition'] + BVH_CHANNELS if j == 0
                else [] if BVH_NAMES[j] is None else list(BVH_CHANNELS) for j in keep]
    skeleton = bvh.Skeleton(names, parents, offsets[keep] @ to_y_up.T / 10.0, channels)
    eye = np.broadcast_to(np.eye(3), root_rotation.shape)
    columns = [root_position @ to_y_up.T / 10.0]
    for j in keep:
        if channels[keep.index(j)]:
            turn = to_y_up @ (root_rotation if j == 0 else local.get(j, eye)) @ to_y_up.T
            columns.append(np.degrees(euler_zxy(turn)))
    motion = np.concatenate(columns, axis=1)
    rest = np.zeros((1, motion.shape[1]))
    rest[0, :3] = motion[0, :3]
    return skeleton, np.concatenate([rest, motion])


def write_bvh_takes(out_dir, frames, seed, subjects, progress=None):
    """The synthetic set as motion capture: out_dir/bvh/S<s>/<ss>_<aa><u>-<Action>.bvh (CMU's
    naming: performer <ss>, class <Action>), 50 frames a second with a rest frame first.
    Returns the number of files written."""
    jobs = [(s, a, u) for s in subjects for a in h36m.ACTION_IDS for u in h36m.SUBACTIONS]
    for s, a, u in (progress(jobs) if progress else jobs):
        skeleton, motion = motion_as_bvh(*sequence_motion(s, a, u, frames, seed))
        folder = os.path.join(out_dir, 'bvh', 'S%d' % s)
        os.makedirs(folder, exist_ok=True)
        bvh.write_bvh(os.path.join(folder, '%02d_%02d%d-%s.bvh' % (s, a, u, h36m.ACTIONS[a])),
                      skeleton, motion, 1.0 / FPS)
    return len(jobs)


def detections(poses, cams, rng, scale=1.0):
    """Simulated 2D detector output for one recording: 4 arrays (N + 5, 17, 2) px, one per
    camera. Per-joint noise (2-6 px times `scale`, limbs' ends worse, partly smooth over time),
    1% of the joints thrown 20-60 px off, and 0.5% of the frames with the legs' sides swapped."""
    joints = poses[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    n = len(poses)
    sigma = np.full(17, 3.0 * scale)
    sigma[[3, 6, 13, 16]] = 6.0 * scale    # feet and wrists
    sigma[[0, 7, 8]] = 2.0 * scale         # torso
    out = []
    for cam in cams:
        uv = project(world_to_camera(joints, cam['R'], cam['T']), cam['f'], cam['c'])
        smooth = gaussian_filter1d(rng.standard_normal((n, 17, 2)), 2.0, axis=0) * 2.0
        uv = uv + (smooth + rng.standard_normal((n, 17, 2))) * sigma[None, :, None] * 0.7
        gross = rng.random((n, 17)) < 0.01
        angle = rng.uniform(0, 2 * np.pi, size=(n, 17))
        length = rng.uniform(20, 60, size=(n, 17))
        uv += gross[..., None] * np.stack([np.cos(angle), np.sin(angle)], -1) * length[..., None]
        swap = rng.random(n) < 0.005
        uv[swap] = uv[swap][:, [0, 4, 5, 6, 1, 2, 3] + list(range(7, 17))]
        extra = uv[-1:] + rng.normal(0, 1, size=(5, 17, 2))   # real 2D files can run longer
        out.append(np.concatenate([uv, extra]).astype(np.float32))
    return out


def generate(out_dir, frames=200, seed=0, subjects=h36m.SUBJECTS, cameras_path=DEFAULT_CAMERAS,
             progress=None, formats=('annot',), detections_name=None):
    """Write the synthetic set under out_dir in the given formats (FORMATS), and optionally a
    VideoPose3D 2D file data_2d_h36m_<detections_name>.npz of simulated detections.
    Returns the number of recordings x cameras written."""
    cameras = load_h36m_cameras(cameras_path)
    positions_3d, positions_2d = {}, {}
    jobs = [(s, a, u) for s in subjects for a in h36m.ACTION_IDS for u in h36m.SUBACTIONS]
    for s, a, u in (progress(jobs) if progress else jobs):
        if s not in cameras:
            raise PoseError('%s: no cameras for subject %d' % (cameras_path, s))
        poses = sequence(s, a, u, frames, seed)
        name = recording_name(s, a, u)
        _write_recording(out_dir, formats, (s, a, u), name, poses, cameras[s], seed)
        if 'videopose3d' in formats:
            positions_3d.setdefault('S%d' % s, {})[name] = (poses / 1000.0).astype(np.float32)
        if detections_name:
            rng = np.random.default_rng([seed, s, a, u, 2])
            positions_2d.setdefault('S%d' % s, {})[name] = detections(poses, cameras[s], rng)
    if 'bvh' in formats:
        write_bvh_takes(out_dir, frames, seed, subjects)
    if positions_3d:
        save_npz(os.path.join(out_dir, 'data_3d_h36m.npz'), positions_3d=positions_3d)
    if 'orig' in formats:
        with atomic_path(os.path.join(out_dir, 'cameras.h5')) as tmp:
            save_cameras_h5({s: cameras[s] for s in subjects}, tmp)
    if detections_name:
        _save_detections(out_dir, detections_name, positions_2d)
    return len(jobs) * len(h36m.CAMERAS)


def _write_recording(out_dir, formats, recording, name, poses, cameras, seed):
    """One recording's files in the per-recording formats: annotation folders (one a camera),
    the release's CDF, the original's HDF5 and, for 'orig', its Stacked Hourglass files
    (simulated detections; a camera in NO_DETECTIONS gets none, as in the real release)."""
    s, a, u = recording
    if 'annot' in formats:
        for c in h36m.CAMERAS:
            folder = folder_name(s, a, u, c)
            write_annotation(annotation_path(out_dir, folder), poses, cameras[c - 1])
    if 'cdf' in formats:
        write_cdf(os.path.join(out_dir, 'S%d' % s, 'MyPoseFeatures', 'D3_Positions',
                               name + '.cdf'), poses)
    if 'h5' in formats or 'orig' in formats:       # the original's 3D files are these
        write_h5(os.path.join(out_dir, 'S%d' % s, 'MyPoses', '3D_positions', name + '.h5'),
                 poses)
    if 'orig' in formats:
        rng = np.random.default_rng([seed, s, a, u, 3])
        lacking = NO_DETECTIONS.get((s, a, u), ())
        write_sh_files(os.path.join(out_dir, 'S%d' % s), name, {
            folder: [None if c in lacking else det[:len(poses), SH_FROM_H36M]
                     for c, det in zip(h36m.CAMERAS, detections(poses, cameras, rng, scale))]
            for folder, scale in (('StackedHourglass', 1.6),
                                  ('StackedHourglassFineTuned240', 1.0))})


def _save_detections(out_dir, name, positions_2d):
    """VideoPose3D's 2D file data_2d_h36m_<name>.npz of the simulated detections."""
    metadata = {'layout_name': 'h36m', 'num_joints': 17,
                'keypoints_symmetry': [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    save_npz(os.path.join(out_dir, 'data_2d_h36m_%s.npz' % name), positions_2d=positions_2d,
             metadata=metadata)
