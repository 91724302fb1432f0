"""Protocol #1 (MPJPE) and Protocol #2 (Procrustes-aligned MPJPE), batched over frames,
and their summaries by action, joint and axis (doc/conventions.md, "Evaluation").

All poses are (N, 17, 3) mm, root-relative, with the root at the origin. Following the paper
and the seed, Protocol #1 counts the root as a joint with zero error: the 16-joint sum is
divided by 17.
"""
import numpy as np

from lib import h36m


def joint_errors(pred, gt):
    """Euclidean error per joint (N, 17) mm; the root's is zero when both roots are at 0."""
    return np.linalg.norm(pred - gt, axis=-1)


def procrustes_align(pred, gt):
    """Align each predicted pose to its ground truth with the best rotation, scale and
    translation (least squares, no reflection). pred, gt (N, J, 3) -> aligned pred (N, J, 3),
    in the inputs' float type."""
    mu_p = pred.mean(axis=1, keepdims=True)
    mu_g = gt.mean(axis=1, keepdims=True)
    p = pred - mu_p
    g = gt - mu_g
    # Maximise trace(R^T g^T p) over rotations: SVD of the (N, 3, 3) cross-covariance.
    u, s, vt = np.linalg.svd(p.transpose(0, 2, 1) @ g)
    sign = np.sign(np.linalg.det(u @ vt))
    s[:, -1] *= sign
    u[:, :, -1] *= sign[:, None]
    rot = u @ vt                                              # p @ rot ~ g
    norm_p = np.sum(p ** 2, axis=(1, 2))
    scale = np.where(norm_p > 0, s.sum(axis=1) / np.maximum(norm_p, 1e-12), 1.0)
    return scale[:, None, None] * (p @ rot) + mu_g


def protocol_errors(pred, gt):
    """Per-frame and per-joint errors of both protocols.

    Returns dict: 'p1' (N,) MPJPE with the 17-joint convention, 'p2' (N,) PA-MPJPE over all 17
    joints after alignment, 'p1_joints' and 'p2_joints' (N, 17), 'p1_axes' (N, 3) mean absolute
    error along x, y, z (same 17-joint convention).
    """
    # float32 halves the memory traffic of these whole-array passes; for poses in mm it changes
    # the errors by less than 1e-4 mm (the per-frame values are summed in float64 afterwards).
    pred = np.asarray(pred, dtype=np.float32)
    gt = np.asarray(gt, dtype=np.float32)
    e1 = joint_errors(pred, gt)
    e2 = joint_errors(procrustes_align(pred, gt), gt)
    return {'p1': e1.mean(axis=1, dtype=np.float64), 'p2': e2.mean(axis=1, dtype=np.float64),
            'p1_joints': e1, 'p2_joints': e2,
            'p1_axes': np.abs(pred - gt).mean(axis=1, dtype=np.float64)}


def by_action(values, actions):
    """Mean of per-frame `values` (N, ...) for each action id in h36m order, then 'Average'
    (the mean over the 15 actions, as in the paper's tables) and 'All frames'.
    Actions without frames are left out of the dict and of the Average."""
    out = {}
    for a in h36m.ACTION_IDS:
        mask = actions == a
        if mask.any():
            out[h36m.ACTIONS[a]] = values[mask].mean(axis=0, dtype=np.float64)
    out['Average'] = np.mean([out[h36m.ACTIONS[a]] for a in h36m.ACTION_IDS
                              if h36m.ACTIONS[a] in out], axis=0)
    out['All frames'] = values.mean(axis=0, dtype=np.float64)
    return out


def frame_counts(actions):
    """Number of frames per action name (h36m order) and in all."""
    counts = {h36m.ACTIONS[a]: int(np.sum(actions == a)) for a in h36m.ACTION_IDS}
    counts = {k: v for k, v in counts.items() if v}
    counts['All frames'] = int(len(actions))
    return counts
