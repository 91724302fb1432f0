"""One motion-capture file (BVH, ASF/AMC, CMU exponential maps) as a take of Human3.6M's 17
joints: read, joints found (lib.data.mocap.joints), units, leading rest poses dropped,
resampled to 50 Hz, z up, in mm.
"""
import os

import numpy as np

from lib.core.errors import PoseError
from lib.data.mocap import asf_amc, bvh, cmu_expmap
from lib.data.mocap.joints import Rig, leg_length, to_h36m_joints
from lib.data.kinematics import Y_UP_TO_Z_UP

FPS = 50.0             # Human3.6M's rate, which the motion is resampled to


def resample(poses, rate, fps=FPS):
    """Poses (F, J, 3) at `rate` Hz -> at `fps` Hz, by linear interpolation in time."""
    if len(poses) < 2:
        return poses
    times = np.arange(0.0, (len(poses) - 1) / rate + 1e-9, 1.0 / fps) * rate
    low = np.minimum(np.floor(times).astype(np.int64), len(poses) - 2)
    frac = (times - low)[:, None, None]
    return poses[low] * (1 - frac) + poses[low + 1] * frac


# Candidate length units of a BVH file (mm each), told apart by the performer's legs.
BVH_UNITS = {'mm': 1.0, 'cm': 10.0, 'inch': 25.4, 'CMU ASF unit': 25.4 / 0.45, 'dm': 100.0,
             'm': 1000.0}
# An adult's thigh plus shin: 0.49 of the stature (Winter, after Drillis and Contini), about
# 850 mm at 1.73 m; the candidate units are at least 1.77 times apart, so a leg of 0.65-1.1 m
# is told right.
TYPICAL_LEG_MM = 850.0


def bvh_unit(rig, where, mapping=None):
    """(mm per file unit, its name): the candidate unit that makes the rig's legs (thigh plus
    shin in the motion itself, which no rest pose or position channel can distort) closest to
    an adult's."""
    leg = leg_length(rig, where, mapping)
    if not leg > 0:
        raise PoseError('%s: the skeleton\'s legs have no length' % where)
    name = min(BVH_UNITS, key=lambda u: abs(np.log(leg * BVH_UNITS[u] / TYPICAL_LEG_MM)))
    return BVH_UNITS[name], name


def bvh_rig(skeleton, motion):
    """A BVH skeleton and its motion as a Rig (lib.data.mocap.joints)."""
    return Rig(skeleton.names, skeleton.parents, bvh.forward_kinematics(skeleton, motion))


def asf_rig(skeleton, positions):
    """An ASF skeleton's positions (asf_amc.forward_kinematics) as a Rig: the root, each bone's
    start (named as the bone, its parent the parent bone) and the far end of each last bone."""
    parent_of = {c: p for p, kids in skeleton.children.items() for c in kids}
    bones = skeleton.order()
    ends = [b for b in bones if not skeleton.children.get(b)]
    names = ['root'] + bones + [b + '_end' for b in ends]
    parents = ([-1] + [names.index(parent_of[b]) for b in bones]
               + [names.index(b) for b in ends])
    return Rig(names, parents, np.stack([positions[n] for n in names], axis=1))


def expmap_rig(motion):
    """CMU exponential maps as a Rig, in Li et al.'s tree."""
    positions = cmu_expmap.forward_kinematics(motion)
    return Rig(cmu_expmap.NAMES, cmu_expmap.PARENTS,
               np.stack([positions[n] for n in cmu_expmap.NAMES], axis=1))


def rest_frames(skeleton, motion, tolerance=2.0, share=0.85, moving_share=0.6):
    """How many leading frames are a rest (T-) pose: `share` of the rotations (all but a few
    fingers' rest curl) within `tolerance` degrees of zero, and `moving_share` of those that
    move at all in the take (so that a skeleton with many unused joints does not make every
    frame look still). Conversions to BVH often add one such frame before the motion."""
    columns = [k for k, c in enumerate(c for chans in skeleton.channels for c in chans)
               if c in bvh.ROTATIONS]
    near_zero = np.abs(motion[:, columns]) < tolerance
    moving = ~np.all(near_zero, axis=0)
    if not moving.any():
        return 0
    still = ((np.mean(near_zero, axis=1) >= share)
             & (np.mean(near_zero[:, moving], axis=1) >= moving_share))
    first_moving = np.flatnonzero(~still)
    return int(first_moving[0]) if len(first_moving) else 0


class Take:
    """One motion file as Human3.6M poses: poses (F, 17, 3) mm, world z up, at 50 Hz; rate the
    source rate used (Hz); unit the file's length unit in mm; dropped the leading rest frames
    left out; path."""

    def __init__(self, poses, rate, unit, dropped, path):
        self.poses, self.rate, self.unit, self.dropped, self.path = poses, rate, unit, dropped, path


def read_take(path, rate=None, unit_mm=None, asf=None, joints=None):
    """A BVH, AMC or CMU exponential-map text file (lib.data.mocap.cmu_expmap) -> Take. rate: the
    true frame rate when the file's is wrong (a BVH header) or absent (AMC and exponential
    maps: 120 Hz, CMU's and HDM05's rate, unless given); unit_mm: a BVH's length unit in mm
    when its legs do not tell (ASF says its own); asf: the skeleton of an AMC file (default:
    the only .asf beside it); joints: {key: joint name} naming joints the rig's structure does
    not give (lib.data.mocap.joints.KEYS)."""
    if rate is not None and not (np.isfinite(rate) and 1 <= rate <= 1000):
        raise PoseError('%s: rate %s: expected frames a second in [1, 1000]' % (path, rate))
    ext = os.path.splitext(path)[1].lower()
    if ext == '.bvh':
        skeleton, motion, frame_time = bvh.read_bvh(path)
        dropped = rest_frames(skeleton, motion)
        rig = bvh_rig(skeleton, motion[dropped:])
        unit = unit_mm or bvh_unit(rig, path, joints)[0]
        source_rate = rate or 1.0 / frame_time
    elif ext == '.amc':
        asf = asf or asf_amc.asf_beside(path)
        if asf is None:
            raise PoseError('%s: no single .asf beside it; name its skeleton' % path)
        skeleton = asf_amc.read_asf(asf)
        rig = asf_rig(skeleton, asf_amc.forward_kinematics(skeleton,
                                                           asf_amc.read_amc(path, skeleton)))
        unit, dropped, source_rate = unit_mm or skeleton.length_unit_mm, 0, rate or 120.0
    elif ext == '.txt':
        rig = expmap_rig(cmu_expmap.read_expmap(path))
        unit, dropped, source_rate = unit_mm or cmu_expmap.UNIT_MM, 1, rate or 120.0
    else:
        raise PoseError('%s: expected a .bvh, .amc or CMU exponential-map .txt file' % path)
    poses = to_h36m_joints(rig, path, joints) * unit @ Y_UP_TO_Z_UP.T
    if len(poses) < 2:
        raise PoseError('%s: fewer than 2 frames of motion' % path)
    return Take(resample(poses, source_rate), source_rate, unit, dropped, path)
