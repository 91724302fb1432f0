"""Synthetic human motion: a kinematic 32-joint skeleton with per-subject proportions, and 15
action styles as joint-angle series (rhythms, gestures and low-pass noise, clipped to joint
limits) at 50 frames a second. lib.data.synthetic.generator poses it in the world and writes it.
"""
import numpy as np
from scipy.ndimage import gaussian_filter1d

from lib.core import h36m

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


def smooth_noise(rng, n, seconds, amplitude):
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
        return smooth_noise(self.rng, self.n, seconds, amplitude)

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
