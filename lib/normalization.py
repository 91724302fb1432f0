"""Network inputs and targets from pose arrays, and their z-scoring.

Inputs: the 16 2D joints other than Neck/Nose, flattened, (N, 32) pixels.
Targets: the 16 3D joints other than the root, relative to the root, flattened, (N, 48) mm.
The statistics are computed on the training set only and are saved with the model.
"""

import numpy as np

from lib import h36m
from lib.errors import PoseError
from lib.files import atomic_path

STAT_KEYS = ('mean2d', 'std2d', 'mean3d', 'std3d')


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
    sizes = {'mean2d': h36m.INPUT_SIZE, 'std2d': h36m.INPUT_SIZE, 'mean3d': h36m.OUTPUT_SIZE,
             'std3d': h36m.OUTPUT_SIZE}
    for k, n in sizes.items():
        if stats[k].shape != (n,):
            raise PoseError('%s: %s has shape %s, the model expects (%d,)'
                            % (path, k, stats[k].shape, n))
        if not np.all(np.isfinite(stats[k])):
            raise PoseError('%s: %s holds NaN or infinity' % (path, k))
        if k.startswith('std') and not np.all(stats[k] > 0):
            raise PoseError('%s: %s holds a standard deviation <= 0' % (path, k))
    return stats
