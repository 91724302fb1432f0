"""The pose codec: the one owner of the network's representation.

Inputs: the 16 2D joints other than Neck/Nose, flattened, (N, 32), in one of two input spaces
(NETWORK.input_space): 'pixel', the camera's pixels as the paper has them, or 'camera_free',
each pose moved so that its pelvis is at 0 and scaled so that the RMS distance of its input
joints from their centroid is FREE_SPREAD (100) pixels, which removes the focal length, the
principal point and where the person stands in the image (encode_inputs).
Targets: the 16 3D joints other than the root, relative to the root, flattened, (N, 48) mm.
Statistics: per-dimension mean and std of the training inputs and targets (z-scoring), computed
on the training set only and saved with the model.
Rescaling: 2D poses of any camera moved and scaled into the training pixel space
(rescale_to_training; the same map as matrix products for the ONNX graph: frame_constants).
Mirroring: left-right mirror of inputs about u = cx and of targets about x = 0 (flip_inputs,
flip_targets), and the same map on z-scored batches (mirror_affine) for device augmentation.

Every other module (training, device augmentation, prediction, evaluation, inference, the ONNX
export) goes through these functions. Imports: lib.core only.
"""

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path

STAT_KEYS = ('mean2d', 'std2d', 'mean3d', 'std3d')
INPUT_SPACES = ('pixel', 'camera_free')
FREE_SPREAD = 100.0     # px: the RMS joint spread of a pose in the camera-free space
FREE_FRAME = (np.zeros(2), FREE_SPREAD)     # where to_frame puts camera-free poses


def input_space(net_cfg):
    """The input space of a run's NETWORK section ('pixel' for runs made before it existed)."""
    return net_cfg.get('input_space', 'pixel')


def encode_inputs(pose2d, space='pixel'):
    """2D poses (N, 17, 2) px of any camera -> network inputs (N, 32) float32 in `space`."""
    if space == 'camera_free':
        pose2d = to_frame(pose2d, *FREE_FRAME)
    elif space != 'pixel':
        raise PoseError('input space %r: expected one of %s' % (space, ', '.join(INPUT_SPACES)))
    return network_inputs(pose2d)


def mirror_axis(count, centre=None, space='pixel'):
    """The u (count,) about which inputs are mirrored: the principal point's for pixels (the
    image's mirror is the 3D mirror; centre (count, 2) px), 0, the pelvis, in the camera-free
    space (no centre needed)."""
    if space == 'camera_free':
        return np.zeros(count, np.float32)
    if centre is None:
        raise PoseError('centre: mirroring pixel-space inputs needs each frame\'s principal point')
    return np.asarray(centre)[:, 0]


def network_inputs(pose2d):
    """(N, 17, 2) pixels -> (N, 32) float32."""
    return pose2d[:, h36m.INPUT_JOINTS].reshape(len(pose2d), -1).astype(np.float32)


def network_targets(pose3d):
    """(N, 17, 3) camera mm -> (N, 48) float32 root-relative, root dropped."""
    rel = pose3d - pose3d[:, h36m.ROOT:h36m.ROOT + 1]
    return rel[:, h36m.OUTPUT_JOINTS].reshape(len(pose3d), -1).astype(np.float32)


def targets_to_pose(targets):
    """(N, 48) root-relative mm -> (N, 17, 3) with the root at the origin."""
    n = len(targets)
    pose = np.zeros((n, h36m.NUM_JOINTS, 3), dtype=targets.dtype)
    pose[:, h36m.OUTPUT_JOINTS] = targets.reshape(n, len(h36m.OUTPUT_JOINTS), 3)
    return pose


def compute_stats(inputs, targets, where='the training set'):
    """Per-dimension mean and std of training inputs (N, 32) and targets (N, 48), float64.
    A constant dimension gets std 1 so that z-scoring never divides by zero. Statistics that
    are not finite (poses or projections beyond the float range), or a training set whose every
    input or every target is constant (nothing to learn), are a PoseError naming `where`."""
    with np.errstate(all='ignore'):           # non-finite statistics are reported below
        stats = {'mean2d': inputs.mean(axis=0, dtype=np.float64),
                 'std2d': inputs.std(axis=0, dtype=np.float64),
                 'mean3d': targets.mean(axis=0, dtype=np.float64),
                 'std3d': targets.std(axis=0, dtype=np.float64)}
    for k in STAT_KEYS:
        if not np.all(np.isfinite(stats[k])):
            raise PoseError('%s: the %s statistics hold NaN or infinity (poses or projections '
                            'beyond the float range: check the camera parameters)' % (where, k))
    for k, what in (('std2d', 'input'), ('std3d', 'target')):
        if np.all(stats[k] < 1e-8):
            raise PoseError('%s: every %s pose is the same; nothing can be learned' % (where, what))
        stats[k][stats[k] < 1e-8] = 1.0
    return stats


def normalize(values, mean, std):
    """z-score (N, D) with (D,) statistics -> float32 (computed in float32: one pass over
    float32 arrays instead of float64 temporaries)."""
    values = np.asarray(values, dtype=np.float32)
    return (values - mean.astype(np.float32)) / std.astype(np.float32)


def unnormalize(values, mean, std):
    """Inverse of normalize -> float32."""
    values = np.asarray(values, dtype=np.float32)
    return values * std.astype(np.float32) + mean.astype(np.float32)


def save_stats(stats, path):
    """Write the statistics as .npz, atomically."""
    with atomic_path(path, '.tmp.npz') as tmp:
        np.savez(tmp, **{k: stats[k] for k in STAT_KEYS})


def load_stats(path):
    """Read statistics written by save_stats and check their sizes against the network's input
    and output sizes (h36m.INPUT_SIZE, h36m.OUTPUT_SIZE)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            stats = {k: z[k].astype(np.float64) for k in STAT_KEYS}
    except Exception as e:        # a damaged zip raises several kinds (BadZipFile, EOFError...)
        raise PoseError('%s: cannot read normalisation statistics (%s: %s)'
                        % (path, type(e).__name__, str(e).splitlines()[0][:100] if str(e) else ''))
    return check_stats(stats, path)


def check_stats(stats, where):
    """Statistics (a dict of STAT_KEYS, as files and Lifter.load(stats=...) give them) checked
    against the network's input and output sizes: finite, standard deviations > 0. Returns them
    as float64 arrays; `where` starts every error message."""
    if not isinstance(stats, dict) or any(k not in stats for k in STAT_KEYS):
        raise PoseError('%s: expected a dict of %s' % (where, ', '.join(STAT_KEYS)))
    sizes = {'mean2d': h36m.INPUT_SIZE, 'std2d': h36m.INPUT_SIZE, 'mean3d': h36m.OUTPUT_SIZE,
             'std3d': h36m.OUTPUT_SIZE}
    out = {}
    for k, n in sizes.items():
        try:
            out[k] = np.asarray(stats[k], dtype=np.float64)
        except (TypeError, ValueError):
            raise PoseError('%s: %s is not an array of numbers' % (where, k))
        if out[k].shape != (n,):
            raise PoseError('%s: %s has shape %s, the model expects (%d,)'
                            % (where, k, out[k].shape, n))
        if not np.all(np.isfinite(out[k])):
            raise PoseError('%s: %s holds NaN or infinity' % (where, k))
        if k.startswith('std') and not np.all(out[k] > 0):
            raise PoseError('%s: %s holds a standard deviation <= 0' % (where, k))
    return out


def _swap(joints):
    """Permutation of `joints` (17-joint ids) that exchanges left and right."""
    partner = {}
    for a, b in h36m.FLIP_PAIRS:
        partner[a], partner[b] = b, a
    return np.array([joints.index(partner.get(j, j)) for j in joints])


INPUT_SWAP = _swap(list(h36m.INPUT_JOINTS))     # (16,) over the input joints
OUTPUT_SWAP = _swap(list(h36m.OUTPUT_JOINTS))   # (16,) over the output joints


def flip_inputs(inputs, cx):
    """Mirror 2D inputs (N, 32) pixels about the vertical line u = cx (N,), swapping sides.
    Mirroring the image about the principal point is exactly the 3D mirror x -> -x for a
    pinhole camera, once left and right joints are swapped."""
    pts = inputs.reshape(len(inputs), -1, 2)[:, INPUT_SWAP].copy()
    pts[..., 0] = 2 * cx[:, None] - pts[..., 0]
    return pts.reshape(len(inputs), -1)


def flip_targets(targets):
    """Mirror 3D targets (N, 48) mm: x -> -x, swapping sides."""
    pts = targets.reshape(len(targets), -1, 3)[:, OUTPUT_SWAP].copy()
    pts[..., 0] = -pts[..., 0]
    return pts.reshape(len(targets), -1)


def mirror_affine(stats):
    """flip_inputs and flip_targets on z-scored vectors, as a permutation and an affine map:
    with raw = x * s + m, x' = (sign * (x[perm] * s[perm] + m[perm]) + 2 cx * is_u - m) / s.
    Returns float32 arrays: x_scale, x_shift, x_cx (32,), y_scale, y_shift (48,) and int64
    perm2 (32,), perm3 (48,); x' = x[perm2] * x_scale + x_shift + cx * x_cx and
    y' = y[perm3] * y_scale + y_shift."""
    s2, m2 = stats['std2d'].astype(np.float32), stats['mean2d'].astype(np.float32)
    s3, m3 = stats['std3d'].astype(np.float32), stats['mean3d'].astype(np.float32)
    perm2 = np.stack([2 * INPUT_SWAP, 2 * INPUT_SWAP + 1], axis=1).ravel()
    perm3 = np.stack([3 * OUTPUT_SWAP, 3 * OUTPUT_SWAP + 1, 3 * OUTPUT_SWAP + 2], axis=1).ravel()
    n_in, n_out = len(h36m.INPUT_JOINTS), len(h36m.OUTPUT_JOINTS)
    sign2 = np.tile([-1.0, 1.0], n_in).astype(np.float32)
    sign3 = np.tile([-1.0, 1.0, 1.0], n_out).astype(np.float32)
    return {'x_scale': sign2 * s2[perm2] / s2, 'x_shift': (sign2 * m2[perm2] - m2) / s2,
            'x_cx': np.tile([2.0, 0.0], n_in).astype(np.float32) / s2,
            'y_scale': sign3 * s3[perm3] / s3, 'y_shift': (sign3 * m3[perm3] - m3) / s3,
            'perm2': perm2.astype(np.int64), 'perm3': perm3.astype(np.int64)}


def training_frame(mean2d):
    """Where rescaled poses go: the training mean pose's root (2,) px and its spread (the RMS
    distance of its 16 input joints from their centroid, px). mean2d (32,) input order."""
    mean = mean2d.reshape(len(h36m.INPUT_JOINTS), 2)
    spread = np.sqrt(((mean - mean.mean(axis=0)) ** 2).sum(axis=1).mean())
    return mean[h36m.INPUT_JOINTS.index(h36m.ROOT)], spread


def to_frame(pose2d, root, spread):
    """2D poses (N, 17, 2) moved so that each pelvis sits at `root` (2,) and scaled so that the
    RMS distance of the 16 input joints from their centroid is `spread`."""
    inputs = pose2d[:, h36m.INPUT_JOINTS]
    centroid = inputs.mean(axis=1, keepdims=True)
    own = np.sqrt(((inputs - centroid) ** 2).sum(axis=2).mean(axis=1))
    scale = spread / np.maximum(own, 1e-6)
    out = (pose2d - pose2d[:, h36m.ROOT:h36m.ROOT + 1]) * scale[:, None, None]
    return out + root


def rescale_to_training(pose2d, mean2d):
    """Bring pixel-space 2D poses (N, 17, 2) of any image size into the training distribution:
    each frame is moved so that its pelvis sits on the training mean pose's and scaled so that
    the RMS distance of its input joints from their centroid equals the mean pose's. mean2d
    (32,) is the training mean of the input joints (lib.core.h36m.INPUT_JOINTS order)."""
    return to_frame(pose2d, *training_frame(mean2d))


def frame_constants(mean2d, space='pixel'):
    """The matrices of frame_matrices for the 2D the exported graph takes: the training frame
    of `mean2d` for a pixel-space model, the camera-free frame for a camera-free one."""
    return frame_matrices(*(FREE_FRAME if space == 'camera_free' else training_frame(mean2d)))


def frame_matrices(mean_root, mean_spread):
    """to_frame(pose2d, mean_root, mean_spread) on flat inputs (B, 32) as matrix products
    (ONNX's reductions differ
    between opsets, a product does not): x @ centre removes each coordinate's mean over the
    joints, x @ to_root puts the root's (u, v) in every joint's place, x @ per_joint averages
    over the joints. Returns float64 arrays centre, to_root (32, 32), per_joint (32, 1),
    mean_root (1, 32) and mean_spread (1, 1); then
    spread = sqrt(square(x @ centre) @ per_joint), x' = (x - x @ to_root) * mean_spread / spread
    + mean_root."""
    joints, size = len(h36m.INPUT_JOINTS), h36m.INPUT_SIZE
    root = h36m.INPUT_JOINTS.index(h36m.ROOT)
    to_root = np.zeros((size, size))
    to_root[2 * root:2 * root + 2] = np.tile(np.eye(2), joints)
    return {'centre': np.eye(size) - np.kron(np.ones((joints, joints)) / joints, np.eye(2)),
            'to_root': to_root, 'per_joint': np.ones((size, 1)) / joints,
            'mean_root': np.tile(mean_root, joints).reshape(1, -1),
            'mean_spread': np.array([[mean_spread]])}
