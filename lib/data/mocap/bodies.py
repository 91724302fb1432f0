"""Other bodies and other definitions of the same joints, made in 3D from a captured take before
any camera sees it, so that the 2D and the 3D of a view stay one pose.

Why: a lifter trained on one derivation of Human3.6M's joints from one set of skeletons reads
depth from cues particular to it (how far the head top sits above the neck, how wide the hips
are), and loses them on anyone else's joints: a detector's, another dataset's. Two things vary:

**Placement** of the joints that a skeleton does not have and are derived (PLACEMENT_RANGES: the
span of the common definitions, around Human3.6M's, which lib.data.mocap.joints gives every
take): the thorax from the base of the neck towards the shoulders' mid-point (COCO's neck); the
spine along the trunk; the head from eye level (what a detector's eyes and ears give, about
0.36 of the pelvis-to-thorax distance from the thorax) to the crown (0.6), around Human3.6M's
0.47; Neck/Nose along the thorax-to-head line (Human3.6M: half-way); the hips from the joint
centres of motion capture (0.69 of Human3.6M's) out and up to where surface keypoints sit.

**Proportions** (PROPORTION_RANGES): each long bone of the limbs, the trunk and the shoulders'
breadth on their own, left and right alike, within about 8 % of their means, as the segments'
shares of the stature vary among adults (Winter, Biomechanics and Motor Control of Human
Movement, table 4.1, after Drillis and Contini: thigh 0.245, shank 0.246, upper arm 0.186,
forearm 0.146 of the stature). The stature itself is left as captured: a 2D pose says the body's
shape but not its size, so a body scaled as a whole teaches nothing the input shows and only
moves the answer towards the mean size (measured, 4-epoch runs: with the stature scaled by
0.88-1.12 as well, Protocol #1 was 2-3 mm worse on every test set and Protocol #2 within 0.7 mm;
models/mocap_camera_free/README.md). `scale_bones` still reads a 'stature' a Body gives.

A Body is the parameters of one such draw (or of a named definition, PLACEMENTS, for test
sets); `reshape` applies it to poses (F, 17, 3) mm in the world, z up, keeping the lowest point
of the take on the same level (the feet on the floor).
"""
import numpy as np

from lib.core import h36m
from lib.core.vectors import unit_vectors

J = {name: k for k, name in enumerate(h36m.JOINT_NAMES)}
# Placement: (low, high) of each parameter; a Body draws each uniformly.
PLACEMENT_RANGES = {
    'thorax_to_shoulders': (0.0, 0.4),   # thorax moved this share towards the shoulders' mid-point
    'spine': (0.42, 0.58),               # spine at this share of the way pelvis -> thorax
    'head': (0.34, 0.60),                # thorax -> head, as a share of pelvis -> thorax
    'neck_nose': (0.40, 0.60),           # Neck/Nose at this share of the way thorax -> head
    'hip_width': (0.69, 1.25),           # pelvis -> hip scaled by this (0.69: joint centres)
    'hip_raise': (-0.03, 0.06),          # hips raised along the trunk by this share of it
}
PROPORTION_RANGES = {
    'thigh': (0.92, 1.08), 'shin': (0.92, 1.08), 'upper_arm': (0.92, 1.08),
    'forearm': (0.92, 1.08), 'trunk': (0.92, 1.08), 'shoulders': (0.85, 1.2),
}
# The definitions of other datasets and detectors, for test sets (DATASET.mocap_test_placement):
# 'captured' is the take's own, Human3.6M's (lib.data.mocap.joints); the others move what they
# name and leave the rest as captured.
PLACEMENTS = {
    'captured': {},
    'eyes': {'head': 0.36},                                    # the head at eye level
    'joint_hips': {'hip_width': 1 / 1.45},                     # hips at the joints' centres
    'shoulder_thorax': {'thorax_to_shoulders': 1.0},           # thorax = shoulders' mid-point
    'detector': {'head': 0.36, 'thorax_to_shoulders': 1.0},    # as from COCO's keypoints
}
# Each long bone (parent, child) and the proportion that scales it.
BONE_PROPORTIONS = {
    (J['RHip'], J['RKnee']): 'thigh', (J['LHip'], J['LKnee']): 'thigh',
    (J['RKnee'], J['RFoot']): 'shin', (J['LKnee'], J['LFoot']): 'shin',
    (J['RShoulder'], J['RElbow']): 'upper_arm', (J['LShoulder'], J['LElbow']): 'upper_arm',
    (J['RElbow'], J['RWrist']): 'forearm', (J['LElbow'], J['LWrist']): 'forearm',
    (J['Hip'], J['Spine']): 'trunk', (J['Spine'], J['Thorax']): 'trunk',
    (J['Thorax'], J['RShoulder']): 'shoulders', (J['Thorax'], J['LShoulder']): 'shoulders',
}


def draw_body(rng, parts='varied'):
    """A Body: every parameter of PLACEMENT_RANGES and PROPORTION_RANGES drawn uniformly, or
    only those of one part ('placement', 'proportions'; the others keep the captured body)."""
    ranges = dict(PLACEMENT_RANGES, **PROPORTION_RANGES)
    body = {name: float(rng.uniform(low, high)) for name, (low, high) in sorted(ranges.items())}
    kept = {'placement': PLACEMENT_RANGES, 'proportions': PROPORTION_RANGES}.get(parts, ranges)
    return {name: value for name, value in body.items() if name in kept}


def _lerp(a, b, t):
    return a + t * (b - a)


def place_joints(poses, body):
    """The derived joints of poses (F, 17, 3) mm put where `body` places them (a key it lacks
    keeps the captured place); the joints a skeleton has (hips' knees, shoulders, limbs) stay."""
    p = np.array(poses, np.float64)
    pelvis = p[:, J['Hip']]
    trunk = np.linalg.norm(p[:, J['Thorax']] - pelvis, axis=-1, keepdims=True)
    up = unit_vectors(p[:, J['Thorax']] - pelvis)
    if 'thorax_to_shoulders' in body:
        # The head stays where it is: only the point called the thorax moves.
        mid = (p[:, J['LShoulder']] + p[:, J['RShoulder']]) / 2
        p[:, J['Thorax']] = _lerp(p[:, J['Thorax']], mid, body['thorax_to_shoulders'])
    thorax = p[:, J['Thorax']]
    if 'spine' in body:
        p[:, J['Spine']] = _lerp(pelvis, thorax, body['spine'])
    if 'head' in body:
        p[:, J['Head']] = thorax + unit_vectors(p[:, J['Head']] - thorax) * body['head'] * trunk
    if 'neck_nose' in body or 'head' in body:
        share = body.get('neck_nose', 0.5)
        p[:, J['Neck/Nose']] = _lerp(thorax, p[:, J['Head']], share)
    for side in ('RHip', 'LHip'):
        offset = p[:, J[side]] - pelvis
        p[:, J[side]] = (pelvis + offset * body.get('hip_width', 1.0)
                         + up * trunk * body.get('hip_raise', 0.0))
    return p


def scale_bones(poses, body):
    """Poses (F, 17, 3) rebuilt from the pelvis out with each bone scaled: by 'stature' (1 when
    the body does not say it), times its own proportion of BONE_PROPORTIONS (hips, neck and
    head by the stature alone)."""
    p = np.asarray(poses, np.float64)
    out = np.empty_like(p)
    out[:, 0] = p[:, 0]
    stature = body.get('stature', 1.0)
    for child in range(1, h36m.NUM_JOINTS):       # parents come before their children
        parent = int(h36m.PARENTS[child])
        scale = stature * body.get(BONE_PROPORTIONS.get((parent, child)), 1.0)
        out[:, child] = out[:, parent] + scale * (p[:, child] - p[:, parent])
    return out


def reshape(poses, body):
    """World poses (F, 17, 3) mm, z up, as the body `body` would make them: its placement, then
    its proportions, then moved up or down so that the take's lowest point stays where it was."""
    out = scale_bones(place_joints(poses, body), body)
    out[..., 2] += np.min(poses[..., 2]) - np.min(out[..., 2])
    return out.astype(np.asarray(poses).dtype)


def joint_bias(pose2d, fraction, rng):
    """Detector-like systematic error: one 2D offset a joint, the same in every frame of a view,
    drawn with std `fraction` of the person's height in the image (the median over frames of the
    head-to-feet extent). pose2d (F, 17, 2) px -> the same shifted."""
    if fraction <= 0:
        return pose2d
    height = np.median(pose2d[..., 1].max(axis=1) - pose2d[..., 1].min(axis=1))
    offsets = rng.normal(0.0, fraction * height, size=(h36m.NUM_JOINTS, 2))
    return (pose2d + offsets).astype(pose2d.dtype)
