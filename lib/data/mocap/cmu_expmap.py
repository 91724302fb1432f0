"""CMU motion capture as exponential-map text (the 'cmu_mocap' set of Li et al., "Convolutional
Sequence to Sequence Model for Human Dynamics", CVPR 2018): one frame a line, 117
comma-separated numbers: the root's position (CMU's ASF length unit, y up) and 38 rotations as
exponential maps (radians), one per joint of the tree below (root first). The files hold no
skeleton, rate or names: the tree, its bone offsets and the joint order are those of Li et al.'s
forward kinematics for this set (the CMU ASF-named BVH skeleton with its End Sites); the first
line is the source's rest pose, not motion.

Forward kinematics as in that code: a joint sits at its parent's position plus its offset turned
by the parent's global rotation, and a global rotation is the parent's times the joint's own,
where a joint's own rotation (column vectors) is the transpose of the Rodrigues matrix of its
exponential map.
"""
import numpy as np

from lib.core.errors import PoseError

# The 38 joints in the files' order, named as CMU's ASF bones (an End Site as '<joint>_end').
NAMES = ('hip', 'lhipjoint', 'lfemur', 'ltibia', 'lfoot', 'ltoes', 'ltoes_end',
         'rhipjoint', 'rfemur', 'rtibia', 'rfoot', 'rtoes', 'rtoes_end',
         'lowerback', 'upperback', 'thorax', 'lowerneck', 'upperneck', 'head', 'head_end',
         'lclavicle', 'lhumerus', 'lradius', 'lwrist', 'lhand', 'lfingers', 'lfingers_end',
         'lthumb', 'lthumb_end',
         'rclavicle', 'rhumerus', 'rradius', 'rwrist', 'rhand', 'rfingers', 'rfingers_end',
         'rthumb', 'rthumb_end')
PARENTS = (-1, 0, 1, 2, 3, 4, 5, 0, 7, 8, 9, 10, 11, 0, 13, 14, 15, 16, 17, 18, 15, 20, 21, 22,
           23, 24, 25, 23, 27, 15, 29, 30, 31, 32, 33, 34, 32, 36)
# Each joint's offset from its parent in CMU's ASF unit (1/0.45 inch), y up, +x the left.
OFFSETS = np.array([
    [0, 0, 0], [0, 0, 0], [1.65674, -1.80282, 0.62477], [2.5972, -7.13576, 0],
    [2.49236, -6.8477, 0], [0.19704, -0.54136, 2.14581], [0, 0, 1.11249],
    [0, 0, 0], [-1.6107, -1.80282, 0.62476], [-2.59502, -7.12977, 0],
    [-2.4678, -6.78024, 0], [-0.23024, -0.63258, 2.13368], [0, 0, 1.11569],
    [0, 0, 0], [0.01961, 2.0545, -0.14112], [0.01021, 2.06436, -0.05921], [0, 0, 0],
    [0.00713, 1.56711, 0.14968], [0.03429, 1.56041, -0.10006], [0.01305, 1.6256, -0.05265],
    [0, 0, 0], [3.54205, 0.90436, -0.17364], [4.86513, 0, 0], [3.35554, 0, 0], [0, 0, 0],
    [0.66117, 0, 0], [0.53306, 0, 0], [0, 0, 0], [0.5412, 0, 0.5412],
    [0, 0, 0], [-3.49802, 0.75994, -0.32616], [-5.02649, 0, 0], [-3.36431, 0, 0], [0, 0, 0],
    [-0.73041, 0, 0], [-0.58887, 0, 0], [0, 0, 0], [-0.59786, 0, 0.59786]])
VALUES = 3 + 3 * len(NAMES)      # 117 numbers a line
UNIT_MM = 25.4 / 0.45            # CMU's ASF length unit


def looks_like_expmap(path):
    """True when the first line of a text file holds VALUES comma-separated numbers."""
    try:
        with open(path, errors='replace') as f:
            first = f.readline(1 << 16)
        return len([float(v) for v in first.split(',')]) == VALUES
    except (OSError, ValueError):
        return False


def read_expmap(path):
    """The motion (F, 117) of a file, its first line (the rest pose) left out; a line of another
    width or a value that is not a finite number is a PoseError naming the line."""
    rows = []
    with open(path, errors='replace') as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                values = [float(v) for v in line.split(',')]
            except ValueError:
                raise PoseError('%s line %d: expected %d comma-separated numbers' % (path, number,
                                                                                   VALUES))
            if len(values) != VALUES or not np.all(np.isfinite(values)):
                raise PoseError('%s line %d: expected %d finite comma-separated numbers, got %d'
                                % (path, number, VALUES, len(values)))
            rows.append(values)
    if len(rows) < 3:
        raise PoseError('%s: fewer than 2 frames of motion after the rest pose' % path)
    return np.array(rows[1:])


def rodrigues(vectors):
    """Exponential maps (F, 3) radians -> rotation matrices (F, 3, 3)."""
    angle = np.linalg.norm(vectors, axis=1)
    axis = vectors / np.maximum(angle, 1e-12)[:, None]
    x, y, z = axis.T
    zero = np.zeros_like(x)
    k = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1),
                  np.stack([-y, x, zero], -1)], axis=1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def forward_kinematics(motion):
    """Motion (F, 117) -> {joint name: (F, 3)} in the file's unit, y up."""
    frames = len(motion)
    glob, pos = [None] * len(NAMES), np.zeros((frames, len(NAMES), 3))
    for j, parent in enumerate(PARENTS):
        own = np.swapaxes(rodrigues(motion[:, 3 + 3 * j:6 + 3 * j]), 1, 2)
        if parent < 0:
            glob[j], pos[:, j] = own, OFFSETS[j] + motion[:, :3]
        else:
            glob[j] = glob[parent] @ own
            pos[:, j] = pos[:, parent] + glob[parent] @ OFFSETS[j]
    return {name: pos[:, j] for j, name in enumerate(NAMES)}
