"""Synthetic Human3.6M: a kinematic 32-joint skeleton moved by 15 action styles, written in the
annotation-folder layout with the real cameras, so that everything runs without the licensed data.

    python -m lib.synthetic data/ --frames 200 --seed 0

Each subject has its own proportions (height and limb lengths); each (subject, action,
subaction) sequence is a smooth motion at 50 frames a second: joint angles are sums of
rhythms (gait, gestures) and low-pass filtered noise, clipped to joint limits; the body walks
about the room or stays near a spot, stands or sits, and its feet rest on the floor. The same
world poses are written for the 4 cameras of the sequence, as in the real data. Same seed,
same files.
"""
import argparse
import os
import sys

import numpy as np
from scipy.ndimage import gaussian_filter1d

from lib import h36m
from lib.cameras import (DEFAULT_CAMERAS, load_h36m_cameras, project, save_cameras_h5,
                         world_to_camera)
from lib.errors import PoseError
from lib.files import atomic_path
from lib.sources import CAMERA_IDS, SOURCES

FPS = 50.0

# The 32-joint tree (zero-based parents) and rest offsets from the parent in mm, in a body frame
# with x forward, y to the body's left, z up, for a person about 1.75 m tall. The 17 joints of
# h36m.JOINTS_17_OF_32 are the named ones; the others (toes, hands, thumbs, sites) complete it.
PARENTS_32 = np.array([-1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 15, 13, 17, 18, 19,
                       20, 19, 22, 13, 13, 25, 26, 27, 28, 27, 30])
REST_OFFSETS_32 = np.array([
    [0, 0, 0],                                                       # 0 Hip (root)
    [0, -130, 0], [0, 0, -450], [0, 0, -440], [130, 0, -50], [50, 0, 0],   # 1-5 right leg
    [0, 130, 0], [0, 0, -450], [0, 0, -440], [130, 0, -50], [50, 0, 0],    # 6-10 left leg
    [0, 0, 5], [10, 0, 230], [0, 0, 250], [60, 0, 110], [-30, 0, 110], [0, 0, 100],  # 11-16 spine, head
    [0, 150, -20], [0, 0, -280], [0, 0, -250], [0, 0, -80], [0, 0, -60],   # 17-21 left arm
    [30, 0, -40], [20, 0, -30],                                      # 22-23 left thumb
    [0, 0, 0],                                                       # 24 thorax (duplicate)
    [0, -150, -20], [0, 0, -280], [0, 0, -250], [0, 0, -80], [0, 0, -60],  # 25-29 right arm
    [30, 0, -40], [20, 0, -30],                                      # 30-31 right thumb
], dtype=np.float64)
ANKLE_HEIGHT = 80.0  # mm above the floor

# Joint limits in degrees for the angles that drive the skeleton.
LIMITS = {
    'hip_flex': (-35, 125), 'hip_abd': (-15, 45), 'knee': (0, 150), 'spine_flex': (-25, 60),
    'spine_twist': (-45, 45), 'spine_side': (-25, 25), 'neck_pitch': (-40, 50),
    'neck_yaw': (-70, 70), 'shoulder_flex': (-60, 175), 'shoulder_abd': (-10, 160),
    'elbow': (0, 150),
}


def _rot(axis, angles):
    """Rotations about a body axis ('x', 'y' or 'z') by angles (T,) radians -> (T, 3, 3)."""
    c, s = np.cos(angles), np.sin(angles)
    one, zero = np.ones_like(angles), np.zeros_like(angles)
    if axis == 'x':
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == 'y':
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def _smooth_noise(rng, n, seconds, amplitude):
    """Low-pass filtered Gaussian noise (n,) with about unit std times `amplitude`."""
    raw = rng.standard_normal(n + int(6 * seconds * FPS))
    smooth = gaussian_filter1d(raw, sigma=seconds * FPS, mode='wrap')
    # Scale by the std of the whole filtered series, not of the slice: a short sequence keeps
    # the slow variation of a long one instead of being blown up to unit std.
    return amplitude * smooth[:n] / max(np.std(smooth), 1e-9)


def subject_proportions(subject, seed):
    """Bone offsets (32, 3) mm of one subject: an overall scale and per-segment variation."""
    rng = np.random.default_rng([seed, subject, 7919])
    height_scale = rng.uniform(0.9, 1.08)
    segment_scale = rng.uniform(0.94, 1.06, size=6)   # legs, spine, head, arms, hips, shoulders
    groups = np.array([0, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 5, 3, 3, 3, 3, 3, 3,
                       1, 5, 3, 3, 3, 3, 3, 3])
    return REST_OFFSETS_32 * height_scale * segment_scale[groups][:, None]


def _gait(t, cadence, amplitude):
    """Leg and arm angles of a walk: phase in radians and per-side angles (degrees)."""
    phase = 2 * np.pi * np.cumsum(cadence) / FPS
    right = np.sin(phase)
    left = np.sin(phase + np.pi)
    hip_r, hip_l = amplitude * 25 * right, amplitude * 25 * left
    # The knee bends most while the leg swings forward.
    knee_r = 8 + amplitude * 55 * np.clip(np.sin(phase + 0.9), 0, None) ** 1.5
    knee_l = 8 + amplitude * 55 * np.clip(np.sin(phase + np.pi + 0.9), 0, None) ** 1.5
    return phase, hip_r, hip_l, knee_r, knee_l


class Motion:
    """The joint-angle series (degrees, each (n,)) of one sequence being built, with the
    movements the action table combines. Every random draw comes from `rng`, in call order."""

    ANGLES = ('hip_flex_r', 'hip_flex_l', 'hip_abd_r', 'hip_abd_l', 'knee_r', 'knee_l',
              'spine_flex', 'spine_twist', 'spine_side', 'neck_pitch', 'neck_yaw', 'sh_flex_r',
              'sh_flex_l', 'sh_abd_r', 'sh_abd_l', 'elbow_r', 'elbow_l')

    def __init__(self, n, rng):
        self.n, self.rng = n, rng
        self.t = np.arange(n) / FPS
        self.a = {k: np.zeros(n) for k in self.ANGLES}

    def noise(self, seconds, amplitude):
        return _smooth_noise(self.rng, self.n, seconds, amplitude)

    def both(self, key, value):
        """The same change to the right and the left joint."""
        self.a[key + '_r'] += value
        self.a[key + '_l'] += value

    def stand(self):
        """Standing defaults: relaxed arms, slight sway, a look around."""
        a, noise = self.a, self.noise
        a['sh_abd_r'] += 8 + noise(1.5, 3)
        a['sh_abd_l'] += 8 + noise(1.5, 3)
        a['elbow_r'] += 15 + noise(1.0, 5)
        a['elbow_l'] += 15 + noise(1.0, 5)
        a['neck_yaw'] += noise(2.0, 15)
        a['neck_pitch'] += 5 + noise(1.5, 6)
        a['spine_flex'] += 3 + noise(2.0, 3)
        a['spine_twist'] += noise(2.0, 5)
        a['hip_abd_r'] += 4 + noise(2.0, 2)
        a['hip_abd_l'] += 4 + noise(2.0, 2)

    def walk(self, speed_mm_s, cadence_hz, amp, arm_swing):
        """A gait of the legs with swinging arms; returns the walking speed."""
        a = self.a
        ph, hr, hl, kr, kl = _gait(self.t, cadence_hz * (1 + self.noise(2.0, 0.05)), amp)
        a['hip_flex_r'] += hr
        a['hip_flex_l'] += hl
        a['knee_r'] += kr
        a['knee_l'] += kl
        a['sh_flex_r'] += arm_swing * np.sin(ph + np.pi)
        a['sh_flex_l'] += arm_swing * np.sin(ph)
        self.both('elbow', 10)
        a['spine_twist'] += 5 * amp * np.sin(ph)
        return speed_mm_s

    def sit(self, depth=1.0):
        a, noise = self.a, self.noise
        a['hip_flex_r'] += 90 * depth + noise(1.5, 5)
        a['hip_flex_l'] += 90 * depth + noise(1.5, 5)
        a['knee_r'] += 90 * depth + noise(1.5, 6)
        a['knee_l'] += 90 * depth + noise(1.5, 6)
        self.both('hip_abd', 8 * depth)

    def hand_to_head(self, side, period, duty, elbow=135, flex=35):
        """Periodic raise of one hand to the face, held for a fraction `duty` of each period."""
        phase = (self.t / period + self.rng.uniform()) % 1.0
        lift = np.clip(np.minimum(phase, duty - phase + 0.15) / 0.15, 0, 1) * (phase < duty + 0.15)
        lift = gaussian_filter1d(lift.astype(float), 4)
        self.a['elbow_' + side] += lift * elbow
        self.a['sh_flex_' + side] += lift * flex
        self.a['sh_abd_' + side] += lift * 15

    def pulse(self, period, threshold, sigma):
        """A smoothed on/off signal of the given period in seconds, at a random phase."""
        on = np.sin(2 * np.pi * self.t / period + self.rng.uniform(0, 6)) > threshold
        return gaussian_filter1d(on * 1.0, sigma)


# The action table: each function adds one action's movements to a standing Motion and
# returns its speed (mm/s; for actions other than the three walks, how fast the person shuffles
# about instead of walking a loop).
def _directions(m):
    m.walk(0, 0.6, 0.3, 5)
    point = m.pulse(4.0, 0.3, 8)
    m.a['sh_flex_r'] += point * 80 + m.noise(1.0, 5)
    m.a['sh_abd_r'] += point * 30
    m.a['elbow_r'] += point * -10
    m.a['neck_yaw'] += point * 30
    return 250


def _discussion(m):
    for side in 'rl':
        m.a['sh_flex_' + side] += 25 + m.noise(0.6, 20)
    for side in 'rl':
        m.a['elbow_' + side] += 70 + m.noise(0.4, 25)
    m.a['spine_twist'] += m.noise(1.0, 12)
    m.a['neck_pitch'] += m.noise(0.8, 8)
    return 0


def _eating(m):
    m.sit()
    m.a['spine_flex'] += 15
    m.a['elbow_l'] += 60
    m.a['sh_flex_l'] += 20
    m.hand_to_head('r', 3.0, 0.4, elbow=125, flex=30)
    return 0


def _greeting(m):
    m.walk(0, 1.2, 0.6, 10)
    wave = m.pulse(5.0, 0, 10)
    m.a['sh_abd_r'] += wave * 110
    m.a['sh_flex_r'] += wave * 20
    m.a['elbow_r'] += wave * (45 + 30 * np.sin(2 * np.pi * 2.0 * m.t))
    m.a['spine_flex'] += 10 * (1 - wave) * (m.noise(2.0, 1) > 0.8)
    return 400


def _phoning(m):
    m.walk(0, 0.9, 0.5, 8)
    m.a['elbow_r'] += 130 + m.noise(1.0, 5)
    m.a['sh_flex_r'] += 20
    m.a['sh_abd_r'] += 35
    m.a['neck_pitch'] += 10
    return 300


def _posing(m):
    # A new exaggerated pose every few seconds, blended smoothly.
    steps = np.repeat(m.rng.uniform(-1, 1, size=(m.n // 120 + 2, 6)), 120, axis=0)[:m.n]
    steps = gaussian_filter1d(steps, 12, axis=0)
    m.a['sh_abd_r'] += 70 + 60 * steps[:, 0]
    m.a['sh_abd_l'] += 70 + 60 * steps[:, 1]
    m.a['elbow_r'] += 60 + 50 * steps[:, 2]
    m.a['elbow_l'] += 60 + 50 * steps[:, 3]
    m.a['spine_side'] += 15 * steps[:, 4]
    m.both('hip_abd', 12 + 10 * steps[:, 5])
    return 0


def _purchases(m):
    m.walk(0, 0.9, 0.5, 5)
    m.both('elbow', 75)
    m.both('sh_flex', 20)
    m.a['spine_flex'] += 15 + m.noise(1.5, 10)
    return 350


def _sitting(m):
    m.sit()
    m.a['spine_flex'] += 10 + m.noise(2.0, 12)
    for side in 'rl':
        m.a['elbow_' + side] += 50 + m.noise(1.5, 10)
    m.both('sh_flex', 20)
    return 0


def _sitting_down(m):
    # Down to the floor and back up, slowly.
    depth = 0.5 - 0.5 * np.cos(2 * np.pi * m.t / 8.0 + m.rng.uniform(0, 6))
    m.both('hip_flex', 110 * depth)
    m.both('knee', 135 * depth)
    m.a['spine_flex'] += 35 * depth
    m.both('sh_flex', 40 * depth)
    m.both('hip_abd', 15 * depth)
    return 0


def _smoking(m):
    m.a['sh_abd_l'] += 5
    m.a['elbow_l'] += 80
    m.a['sh_flex_l'] += 10
    m.hand_to_head('r', 6.0, 0.3, elbow=135, flex=40)
    m.a['hip_abd_r'] += m.noise(3.0, 4)
    return 0


def _photo(m):
    aim = m.pulse(6.0, -0.3, 8)
    for side in 'rl':
        m.a['sh_flex_' + side] += aim * 60
        m.a['elbow_' + side] += aim * 115
        m.a['sh_abd_' + side] += aim * 20
    m.a['spine_twist'] += m.noise(2.0, 20)
    m.a['spine_flex'] += aim * m.noise(1.5, 10)
    return 0


def _waiting(m):
    m.walk(0, 0.5, 0.2, 3)
    m.both('sh_abd', 30)
    m.both('elbow', 100)
    m.both('sh_flex', -25)
    m.a['spine_side'] += m.noise(3.0, 6)
    return 150


def _walking(m):
    return m.walk(1250, 0.95, 1.0, 22)


def _walk_dog(m):
    speed = m.walk(900, 0.9, 0.85, 8)
    m.a['sh_flex_r'] += 40
    m.a['elbow_r'] += 25
    m.a['spine_flex'] += 10 + m.noise(1.0, 6)
    m.a['neck_pitch'] += 15
    return speed


def _walk_together(m):
    speed = m.walk(800, 0.85, 0.75, 10)
    m.a['neck_yaw'] += 35
    m.a['spine_twist'] += 10
    m.a['sh_flex_l'] += 10
    return speed


ACTION_MOTIONS = {'Directions': _directions, 'Discussion': _discussion, 'Eating': _eating,
                  'Greeting': _greeting, 'Phoning': _phoning, 'Posing': _posing,
                  'Purchases': _purchases, 'Sitting': _sitting, 'SittingDown': _sitting_down,
                  'Smoking': _smoking, 'Photo': _photo, 'Waiting': _waiting,
                  'Walking': _walking, 'WalkDog': _walk_dog, 'WalkTogether': _walk_together}
WALKS = ('Walking', 'WalkDog', 'WalkTogether')


def action_angles(action, n, rng):
    """Joint angles (degrees, each (n,)) and root motion of one action style.

    Returns a dict of angle series plus 'speed' (mm/s along a loop about the room, 0 for
    staying near a spot) and, for standing actions that shuffle about, '_drift' (mm/s).
    """
    motion = Motion(n, rng)
    motion.stand()
    name = h36m.ACTIONS[action]
    speed = ACTION_MOTIONS[name](motion)
    a = motion.a
    if speed and name not in WALKS:
        # Standing actions shuffle about: a step now and then, no loop about the room.
        a['_drift'] = speed
        speed = 0.0
    a['speed'] = speed
    return a


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
    wander = np.stack([_smooth_noise(rng, n, 3.0, 100 + drift / 2),
                       _smooth_noise(rng, n, 3.0, 100 + drift / 2)], axis=1)
    heading = rng.uniform(0, 2 * np.pi) + np.radians(_smooth_noise(rng, n, 3.0, 25))
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
    rng = np.random.default_rng([seed, subject, action, subaction])
    offsets = subject_proportions(subject, seed)
    a = action_angles(action, frames, rng)
    deg = {k: np.radians(np.clip(v, *LIMITS[_limit_key(k)])) for k, v in a.items()
           if not k.startswith('_') and k != 'speed'}
    rx, ry, rz = (lambda v: _rot('x', v)), (lambda v: _rot('y', v)), (lambda v: _rot('z', v))
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
    pose[..., 2] += (ANKLE_HEIGHT - floor)[:, None]
    return pose


def _limit_key(name):
    for suffix in ('_r', '_l'):
        if name.endswith(suffix):
            name = name[:-2]
    return {'sh_flex': 'shoulder_flex', 'sh_abd': 'shoulder_abd', 'hip_flex': 'hip_flex',
            'hip_abd': 'hip_abd'}.get(name, name)


def write_annotation(path, poses, camera):
    """Write one matlab_meta.txt (doc/data.md) atomically."""
    n = poses.shape[0]
    fmt = lambda v: ' '.join('%.10g' % x for x in np.ravel(v))
    header = [
        '%d' % n,
        'resolution %d %d' % (camera['width'], camera['height']),
        'R ' + fmt(camera['R'].T),            # stored so that reshape(3,3).T is R
        'T ' + fmt(camera['T']),
        'f ' + fmt(camera['f']),
        'c ' + fmt(camera['c']),
        'k ' + fmt(camera['k']),
        'p ' + fmt(camera['p']),
        'joints ' + ' '.join(str(j) for j in h36m.JOINTS_17_OF_32),
    ]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.write('\n'.join(header) + '\n')
        np.savetxt(f, poses.reshape(n, -1), fmt='pose ' + ' '.join(['%.3f'] * 96))


# The synthetic set can be written as every source reads it, and as the original
# 3d-pose-baseline's h36m.zip ('orig': 3D h5 files with the real releases' irregular names,
# Stacked Hourglass detection folders, cameras.h5).
FORMATS = SOURCES + ('orig',)

# Names of the two recordings of an action in the real releases where they are not
# 'Action'/'Action 1' (the issue that asked for them lists these).
IRREGULAR_NAMES = {
    9: {'Directions': ('Directions 1', 'Directions 2'), 'Waiting': ('Waiting', 'Waiting 3'),
        'Eating': ('Eating', 'Eating 2'), 'Sitting': ('Sitting 1', 'Sitting 2'),
        'Phoning': ('Phoning 2', 'Phoning 3')},
    11: {'Sitting': ('Sitting 1', 'Sitting 2'), 'Phoning': ('Phoning 2', 'Phoning 3'),
         'Waiting': ('Waiting', 'Waiting 3')},
}
# S11's first Directions recording has no detections in the real data (a corrupt video).
NO_DETECTIONS = {(11, 2, 1)}
# Stacked Hourglass order (lib.keypoints.LAYOUTS['sh16']) as indices of the 17 joints.
SH_FROM_H36M = [3, 2, 1, 4, 5, 6, 0, 7, 8, 10, 16, 15, 14, 11, 12, 13]


def write_original_detections(out_dir, subject, action, subaction, poses, cams, rng):
    """One recording's Stacked Hourglass detections as the original's files (pre-trained and
    fine-tuned, 16 joints, as many frames as the 3D, for the 4 cameras; its 3D h5 is the h5
    format's)."""
    import h5py
    name = recording_name(subject, action, subaction)
    if (subject, action, subaction) in NO_DETECTIONS:
        return
    for folder, scale in (('StackedHourglass', 1.6), ('StackedHourglassFineTuned240', 1.0)):
        for cam_id, det in zip(CAMERA_IDS, detections(poses, cams, rng, scale)):
            path = os.path.join(out_dir, 'S%d' % subject, folder,
                                '%s.%s.h5' % (name.replace(' ', '_'), cam_id))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with atomic_path(path) as tmp, h5py.File(tmp, 'w') as f:
                f.create_dataset('poses', data=det[:len(poses), SH_FROM_H36M])


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
    count = 0
    positions_3d, positions_2d = {}, {}
    jobs = [(s, a, u) for s in subjects for a in h36m.ACTION_IDS for u in h36m.SUBACTIONS]
    for s, a, u in (progress(jobs) if progress else jobs):
        if s not in cameras:
            raise PoseError('%s: no cameras for subject %d' % (cameras_path, s))
        poses = sequence(s, a, u, frames, seed)
        name = recording_name(s, a, u)
        if 'annot' in formats:
            for c in h36m.CAMERAS:
                folder = h36m.folder_name(s, a, u, c)
                write_annotation(h36m.annotation_path(out_dir, folder), poses, cameras[s][c - 1])
        if 'videopose3d' in formats:
            positions_3d.setdefault('S%d' % s, {})[name] = (poses / 1000.0).astype(np.float32)
        if 'cdf' in formats:
            _write_cdf(os.path.join(out_dir, 'S%d' % s, 'MyPoseFeatures', 'D3_Positions',
                                    name + '.cdf'), poses)
        if 'h5' in formats or 'orig' in formats:       # the original's 3D files are these
            _write_h5(os.path.join(out_dir, 'S%d' % s, 'MyPoses', '3D_positions', name + '.h5'),
                      poses)
        if 'orig' in formats:
            write_original_detections(out_dir, s, a, u, poses, cameras[s],
                                      np.random.default_rng([seed, s, a, u, 3]))
        if detections_name:
            rng = np.random.default_rng([seed, s, a, u, 2])
            positions_2d.setdefault('S%d' % s, {})[name] = detections(poses, cameras[s], rng)
        count += len(h36m.CAMERAS)
    if positions_3d:
        _save_npz(os.path.join(out_dir, 'data_3d_h36m.npz'), positions_3d=positions_3d)
    if 'orig' in formats:
        with atomic_path(os.path.join(out_dir, 'cameras.h5')) as tmp:
            save_cameras_h5({s: cameras[s] for s in subjects}, tmp)
    if detections_name:
        metadata = {'layout_name': 'h36m', 'num_joints': 17,
                    'keypoints_symmetry': [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
        _save_npz(os.path.join(out_dir, 'data_2d_h36m_%s.npz' % detections_name),
                  positions_2d=positions_2d, metadata=metadata)
    return count


def _save_npz(path, **arrays):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, **{k: np.array(v, dtype=object) if isinstance(v, dict) else v
                         for k, v in arrays.items()})


def _write_cdf(path, poses):
    from cdflib.cdfwrite import CDF
    os.makedirs(os.path.dirname(path), exist_ok=True)
    n = len(poses)
    with atomic_path(path, '.tmp.cdf') as tmp:
        if os.path.exists(tmp):          # cdflib refuses to write over a file
            os.remove(tmp)
        cdf = CDF(tmp)
        cdf.write_var({'Variable': 'Pose', 'Data_Type': CDF.CDF_FLOAT, 'Num_Elements': 1,
                       'Rec_Vary': True, 'Dim_Sizes': [n, 96]},
                      var_data=poses.reshape(1, n, 96).astype(np.float32))
        cdf.close()


def _write_h5(path, poses):
    import h5py
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, 'w') as f:
        f.create_dataset('3D_positions', data=poses.reshape(len(poses), 96).T)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='dataset root to write (annot/ goes inside)')
    parser.add_argument('--frames', type=int, default=200, help='frames per sequence')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same files)')
    parser.add_argument('--subjects', type=int, nargs='+', default=list(h36m.SUBJECTS))
    parser.add_argument('--cameras', default=DEFAULT_CAMERAS, help='h36m_cameras.json')
    parser.add_argument('--formats', default='annot',
                        help='comma list of %s (default annot)' % ', '.join(FORMATS))
    parser.add_argument('--detections', default=None, metavar='NAME',
                        help='also write simulated 2D detections as data_2d_h36m_NAME.npz')
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error('--frames must be at least 1')
    formats = tuple(f.strip() for f in args.formats.split(',') if f.strip())
    if not formats or any(f not in FORMATS for f in formats):
        parser.error('--formats %s: expected a comma list of %s' % (args.formats, ', '.join(FORMATS)))
    bad = [s for s in args.subjects if s not in h36m.SUBJECTS]
    if bad:
        parser.error('--subjects: %s not among the Human3.6M subjects %s' % (bad, h36m.SUBJECTS))
    try:
        from tqdm import tqdm
        bar = lambda jobs: tqdm(jobs, desc='synthetic sequences', disable=not sys.stderr.isatty())
        n = generate(args.out_dir, args.frames, args.seed, args.subjects, args.cameras, bar,
                     formats, args.detections)
    except PoseError as e:
        print('error: %s' % e, file=sys.stderr)
        return 2
    print('wrote %d recordings x cameras of %d frames under %s in formats %s%s'
          % (n, args.frames, args.out_dir, ', '.join(formats),
             ' with detections data_2d_h36m_%s.npz' % args.detections if args.detections else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
