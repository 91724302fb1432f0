"""A lifted track as a BVH animation that 3D tools (Blender, Maya, MotionBuilder, Unity through
a converter) import: one skeleton a track, its bones the track's median lengths, its rotations
solved from the lifted joints frame by frame.

The skeleton (SKELETON): Mixamo's names for Human3.6M's joints, rest pose a T-pose standing on
the floor, Y up, facing +Z (its left at +X), in centimetres. 'Hips' is the pelvis and turns with
the spine; 'LeftHipJoint' and 'RightHipJoint', at the same place, turn with their own hip, so
that the hips and the spine land exactly where they were lifted. A bone's rotation is the one that turns its
rest direction onto the lifted one; its twist comes from the body: the knee's and the elbow's
hinge (the plane of the bent limb, the hips' or the trunk's line when the limb is straight), the
shoulders' line for the neck and the head. Hands and feet, which no lifted joint orients, keep
their parent's rotation. Euler angles are unwrapped over time, so no channel jumps by 360.

World axes: the camera's x stays x, its up (-y) is Y, towards the camera (-z) is Z; then the
whole track is turned so that its median trunk (pelvis to thorax) stands vertical (a camera
that looks down does not tilt the character) and, about the vertical, so that it faces +Z
(forward in a 3D tool's front view) on the whole, whichever way the camera saw it. The root stays above the origin with its lowest
foot on the floor in every frame, or (root_motion) moves along the path of the pelvis: depth
from the person's size in the image under an assumed focal length (FOCAL_PER_SIDE times the
image's longer side), across from the 2D pelvis, the floor under the lowest foot of the track.
"""
import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter
from scipy.spatial.transform import Rotation

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.vectors import unit_vectors
from lib.data.mocap.bvh import Skeleton, write_bvh
from lib.infer.smoothing import jitter

J = {name: k for k, name in enumerate(h36m.JOINT_NAMES)}
FOCAL_PER_SIDE = 1.0            # the assumed focal length, in units of the image's longer side
ROTATION_CHANNELS = ['Zrotation', 'Xrotation', 'Yrotation']     # R = Rz Rx Ry ('ZXY' intrinsic)
# (BVH joint, its parent, the Human3.6M joint where it starts, its rest offset from its parent
# as (the Human3.6M joint whose bone gives its length, a unit direction)). Y up, facing +Z.
SKELETON = (
    ('Hips', None, 'Hip', None), ('RightHipJoint', 'Hips', 'Hip', None),
    ('RightUpLeg', 'RightHipJoint', 'RHip', ('RHip', (-1, 0, 0))),
    ('RightLeg', 'RightUpLeg', 'RKnee', ('RKnee', (0, -1, 0))),
    ('RightFoot', 'RightLeg', 'RFoot', ('RFoot', (0, -1, 0))),
    ('LeftHipJoint', 'Hips', 'Hip', None), ('LeftUpLeg', 'LeftHipJoint', 'LHip', ('LHip', (1, 0, 0))),
    ('LeftLeg', 'LeftUpLeg', 'LKnee', ('LKnee', (0, -1, 0))),
    ('LeftFoot', 'LeftLeg', 'LFoot', ('LFoot', (0, -1, 0))),
    ('Spine', 'Hips', 'Spine', ('Spine', (0, 1, 0))),
    ('Neck', 'Spine', 'Thorax', ('Thorax', (0, 1, 0))),
    ('Head', 'Neck', 'Neck/Nose', ('Neck/Nose', (0, 1, 0))),
    ('LeftShoulder', 'Spine', 'Thorax', ('Thorax', (0, 1, 0))),
    ('LeftArm', 'LeftShoulder', 'LShoulder', ('LShoulder', (1, 0, 0))),
    ('LeftForeArm', 'LeftArm', 'LElbow', ('LElbow', (1, 0, 0))),
    ('LeftHand', 'LeftForeArm', 'LWrist', ('LWrist', (1, 0, 0))),
    ('RightShoulder', 'Spine', 'Thorax', ('Thorax', (0, 1, 0))),
    ('RightArm', 'RightShoulder', 'RShoulder', ('RShoulder', (-1, 0, 0))),
    ('RightForeArm', 'RightArm', 'RElbow', ('RElbow', (-1, 0, 0))),
    ('RightHand', 'RightForeArm', 'RWrist', ('RWrist', (-1, 0, 0))),
)
NAMES = [row[0] for row in SKELETON]
# End Sites: (the leaf, the Human3.6M joint whose bone gives the length, a share of it, the
# direction).
END_SITES = (('RightFoot', 'RFoot', 0.3, (0, 0, 1)), ('LeftFoot', 'LFoot', 0.3, (0, 0, 1)),
             ('Head', 'Head', 1.0, (0, 1, 0)), ('LeftHand', 'LWrist', 0.35, (1, 0, 0)),
             ('RightHand', 'RWrist', 0.35, (-1, 0, 0)))


def _frame(axis, hint):
    """(F, 3, 3) orthonormal frames whose first column is `axis` (F, 3) and whose second lies in
    the plane of axis and `hint` (F, 3) (or (3,))."""
    a = unit_vectors(np.asarray(axis, np.float64))
    hint = np.broadcast_to(np.asarray(hint, np.float64), a.shape)
    b = unit_vectors(hint - np.sum(hint * a, axis=-1, keepdims=True) * a)
    return np.stack([a, b, np.cross(a, b)], axis=-1)


def _turn(rest_axis, rest_hint, axis, hint):
    """(F, 3, 3): the rotations that take the rest frame (rest_axis, rest_hint) onto the lifted
    one (axis, hint) of every frame."""
    rest = _frame(np.array(rest_axis, float)[None], np.array(rest_hint, float)[None])[0]
    return _frame(axis, hint) @ rest.T


def level_rotation(pose3d):
    """(3, 3): camera frame -> world (Y up), the camera's x kept, its up (-y) as Y, towards it
    (-z) as Z, then turned so that the median trunk (pelvis to thorax) of poses (F, 17, 3)
    stands vertical."""
    flip = np.diag([1.0, -1.0, -1.0])
    flipped = np.asarray(pose3d, np.float64) @ flip
    trunks = unit_vectors(flipped[:, J['Thorax']] - flipped[:, J['Hip']])
    up = unit_vectors(np.nanmedian(trunks, axis=0))
    axis = np.cross(up, [0.0, 1.0, 0.0])
    angle = np.arctan2(np.linalg.norm(axis), up[1])
    level = Rotation.from_rotvec(unit_vectors(axis) * angle if np.linalg.norm(axis) > 1e-9
                                 else np.zeros(3)).as_matrix()
    return level @ flip


def world_poses(pose3d):
    """Camera-frame poses (F, 17, 3) mm -> world (level_rotation), mm, and that rotation."""
    turn = level_rotation(pose3d)
    return np.asarray(pose3d, np.float64) @ turn.T, turn


def facing_turn(poses):
    """(3, 3): the turn about the vertical (Y) that makes the median facing of world poses
    (F, 17, 3) point along +Z, the facing being the hips' line (right to left) crossed with
    the up of the trunk: the character faces forward in a 3D tool's front view, whichever way
    the camera saw it."""
    lateral = poses[:, J['LHip']] - poses[:, J['RHip']]
    facing = np.cross(lateral, poses[:, J['Thorax']] - poses[:, J['Hip']])
    facing = np.median(unit_vectors(facing * [1.0, 0.0, 1.0]), axis=0)
    angle = np.arctan2(facing[0], facing[2])          # from +Z towards +X
    return Rotation.from_rotvec([0.0, -angle, 0.0]).as_matrix()


def bone_lengths(poses):
    """(17,) the median length (mm) over the frames of each joint's bone to its parent (0 for
    the pelvis)."""
    parents = np.maximum(h36m.PARENTS, 0)
    return np.median(np.linalg.norm(poses - poses[:, parents], axis=-1), axis=0)


def fixed_lengths(poses, lengths):
    """Poses (F, 17, 3) rebuilt from the pelvis out, every bone at its fixed length (17,) and in
    its lifted direction: what the written animation shows."""
    out = np.array(poses, np.float64)
    for j in range(1, h36m.NUM_JOINTS):              # parents come before their children
        parent = h36m.PARENTS[j]
        out[:, j] = out[:, parent] + unit_vectors(poses[:, j] - poses[:, parent]) * lengths[j]
    return out


def _hinges(first, second, fallback):
    """(F, 3): the axis a limb bends about (the normal of the plane of its two bones (F, 3)),
    carried from the frame before while the limb is nearly straight, and from `fallback`
    ((F, 3) or (3,)) before it first bends. One pass over the frames: each depends on the one
    before (this runs once a track, on no hot path)."""
    normal = np.cross(unit_vectors(first), unit_vectors(second))
    bend = np.linalg.norm(normal, axis=-1)
    fallback = np.broadcast_to(np.asarray(fallback, np.float64), normal.shape)
    out, previous = np.empty_like(normal), None
    for f in range(len(normal)):
        weight = min(bend[f] / 0.25, 1.0)        # a bend of 15 degrees and more is trusted
        base = fallback[f] if previous is None else previous
        hinge = weight * unit_vectors(normal[f]) + (1 - weight) * base
        previous = out[f] = unit_vectors(hinge)
    return out


def global_rotations(poses):
    """{BVH joint: (F, 3, 3)} world rotations that take the rest skeleton onto world poses
    (F, 17, 3): each bone's rest direction onto its lifted one, its twist from the body
    (module docstring)."""
    def bone(a, b):
        return poses[:, J[b]] - poses[:, J[a]]
    up, shoulders = bone('Spine', 'Thorax'), bone('RShoulder', 'LShoulder')
    lateral, trunk = bone('RHip', 'LHip'), bone('Hip', 'Spine')
    knee = {s: _hinges(bone(s + 'Hip', s + 'Knee'), bone(s + 'Knee', s + 'Foot'), lateral)
            for s in 'LR'}
    elbow = {s: _hinges(bone(s + 'Shoulder', s + 'Elbow'), bone(s + 'Elbow', s + 'Wrist'),
                        -up if s == 'L' else up) for s in 'LR'}
    x, y = (1, 0, 0), (0, 1, 0)
    g = {'Hips': _turn(y, x, trunk, lateral), 'Spine': _turn(y, x, up, shoulders),
         'Neck': _turn(y, x, bone('Thorax', 'Neck/Nose'), shoulders),
         'Head': _turn(y, x, bone('Neck/Nose', 'Head'), shoulders)}
    for s, side, sign in (('L', 'Left', 1), ('R', 'Right', -1)):
        out = (sign, 0, 0)
        g[side + 'HipJoint'] = _turn(out, y, bone('Hip', s + 'Hip'), trunk)
        g[side + 'UpLeg'] = _turn((0, -1, 0), x, bone(s + 'Hip', s + 'Knee'), knee[s])
        g[side + 'Leg'] = g[side + 'Foot'] = _turn((0, -1, 0), x, bone(s + 'Knee', s + 'Foot'),
                                                   knee[s])
        g[side + 'Shoulder'] = _turn(out, y, bone('Thorax', s + 'Shoulder'), up)
        g[side + 'Arm'] = _turn(out, (0, -sign, 0), bone(s + 'Shoulder', s + 'Elbow'), elbow[s])
        g[side + 'ForeArm'] = g[side + 'Hand'] = _turn(out, (0, -sign, 0),
                                                       bone(s + 'Elbow', s + 'Wrist'), elbow[s])
    return g


def euler_channels(rotations):
    """{BVH joint: (F, 3, 3) world rotation} -> {BVH joint: (F, 3) degrees} of its local
    rotation (relative to its parent's) in ROTATION_CHANNELS' order, unwrapped over time."""
    parent = {name: p for name, p, _, _ in SKELETON}
    out = {}
    for name in NAMES:
        local = rotations[name] if parent[name] is None else \
            np.swapaxes(rotations[parent[name]], 1, 2) @ rotations[name]
        angles = Rotation.from_matrix(local).as_euler('ZXY')
        out[name] = np.degrees(np.unwrap(angles, axis=0))
    return out


def rest_skeleton(lengths):
    """The T-pose Skeleton (lib.data.mocap.bvh) in cm for bone lengths (17,) mm, its joints in
    the order the file writes them (each End Site after its leaf)."""
    names, parents, offsets, channels = [], [], [], []
    ends = {leaf: (joint, share, direction) for leaf, joint, share, direction in END_SITES}
    for name, parent, _, rest in SKELETON:
        names.append(name)
        parents.append(names.index(parent) if parent else -1)
        offsets.append(np.zeros(3) if rest is None
                       else np.array(rest[1], float) * lengths[J[rest[0]]] / 10.0)
        channels.append((['Xposition', 'Yposition', 'Zposition'] if parent is None else [])
                        + ROTATION_CHANNELS)
        if name in ends:
            joint, share, direction = ends[name]
            names.append(name + '_end')
            parents.append(names.index(name))
            offsets.append(np.array(direction, float) * share * lengths[J[joint]] / 10.0)
            channels.append([])
    return Skeleton(names, parents, np.array(offsets), channels)


def filled(values, rows, frames):
    """Values (K, ...) of the frames `rows` (K,) increasing -> (frames, ...), the frames between
    interpolated linearly, those before the first and after the last held."""
    values = np.asarray(values, np.float64)
    flat = values.reshape(len(values), -1)
    out = np.stack([np.interp(np.arange(frames), rows, column) for column in flat.T], axis=1)
    return out.reshape((frames,) + values.shape[1:])


def _lowest(fixed, rotations, lengths):
    """(F,) the height (mm) of the lowest point of each frame's feet: ankles and toes."""
    points = [fixed[:, J['LFoot'], 1], fixed[:, J['RFoot'], 1]]
    for leaf, joint, share, direction in END_SITES[:2]:
        toe = fixed[:, J[joint]] + rotations[leaf] @ (np.array(direction) * share
                                                      * lengths[J[joint]])
        points.append(toe[:, 1])
    return np.min(points, axis=0)


def root_path(pose2d, pose3d, image_size):
    """(F, 3) camera-frame mm: where the pelvis is, from its 2D track (F, 17, 2) px and the size
    of the person in the image against their lifted size (F, 17, 3) mm, under a focal length
    of FOCAL_PER_SIDE times the image's longer side, the principal point at its centre; the
    depth smoothed over time (a median of 5 frames, then a Gaussian of 2)."""
    width, height = image_size
    focal = FOCAL_PER_SIDE * max(width, height)
    spread2d = np.sqrt(np.mean(np.sum((pose2d - pose2d[:, :1]) ** 2, axis=-1), axis=1))
    spread3d = np.sqrt(np.mean(np.sum((pose3d[..., :2] - pose3d[:, :1, :2]) ** 2, axis=-1),
                               axis=1))
    depth = focal * spread3d / np.maximum(spread2d, 1e-6)
    if len(depth) > 5:
        depth = gaussian_filter1d(median_filter(depth, size=5, mode='nearest'), 2.0,
                                  mode='nearest')
    centre = np.array([width, height], np.float64) / 2
    across = (pose2d[:, 0] - centre) * depth[:, None] / focal
    return np.concatenate([across, depth[:, None]], axis=1)


def track_animation(pose3d, rows, frames, pose2d=None, image_size=None):
    """A track's lifted poses (K, 17, 3) camera-frame mm at the frames `rows` (K,) of a file of
    `frames` frames -> (Skeleton, motion (frames, channels) in the file's units and degrees,
    world poses (frames, 17, 3) mm as the animation shows them). With `pose2d` (K, 17, 2) px
    and the image's `image_size` (W, H) px the root moves along root_path; without, it stays
    above the origin, its lowest foot on the floor in each frame."""
    world, turn = world_poses(filled(pose3d, rows, frames))
    facing = facing_turn(world)
    world, turn = world @ facing.T, facing @ turn
    lengths = bone_lengths(world)
    fixed = fixed_lengths(world, lengths)
    rotations = global_rotations(fixed)
    lowest = _lowest(fixed, rotations, lengths)
    if pose2d is None:
        root = np.stack([np.zeros(frames), fixed[:, 0, 1] - lowest, np.zeros(frames)], axis=1)
    else:
        path = root_path(filled(pose2d, rows, frames), filled(pose3d, rows, frames),
                         image_size) @ turn.T
        path -= [path[0, 0], np.min(path[:, 1] + lowest - fixed[:, 0, 1]), path[0, 2]]
        root = path
    shown = fixed - fixed[:, :1] + root[:, None]
    angles = euler_channels(rotations)
    skeleton = rest_skeleton(lengths)
    columns = [np.concatenate([root / 10.0, angles['Hips']], axis=1)]
    columns += [angles[name] for name in skeleton.names[1:] if not name.endswith('_end')]
    return skeleton, np.concatenate(columns, axis=1), shown


def write_track(path, person, frames, fps, image_size=None):
    """Write one LiftedPerson of a file of `frames` frames as BVH at `fps` frames a second;
    with `image_size` (W, H) the root moves (track_animation). Returns (the mean joint
    acceleration of the raw per-frame lift, before any smoothing, and of the written motion,
    each relative to its pelvis over the runs of consecutive lifted frames), mm per frame^2
    (lib.infer.smoothing.jitter)."""
    if not len(person.rows):
        raise PoseError('%s: person %s has no lifted frame to animate' % (path, person.id))
    skeleton, motion, shown = track_animation(
        person.pose3d, person.rows, frames, None if image_size is None else person.pose2d,
        image_size)
    write_bvh(path, skeleton, motion, 1.0 / fps)
    raw = person.jitter[0] if person.jitter is not None else jitter(person.pose3d, person.rows)
    return raw, jitter(shown[person.rows] - shown[person.rows, :1], person.rows)
