"""The error measures, batched over frames, and their summaries by action (and by any other
grouping): Protocol #1 (MPJPE), #2 (Procrustes-aligned), #3 (scale-aligned, N-MPJPE), the
velocity error MPJVE, 3DPCK at 150 mm and its AUC (doc/conventions.md, "Evaluation").

All poses are (N, 17, 3) mm, root-relative, with the root at the origin. Following the paper
and the seed, every measure counts the root as a joint (with zero error when both roots are at
0): Protocol #1's 16-joint sum is divided by 17, and 3DPCK counts the root as a correct joint.
"""
import numpy as np

from lib.core import h36m
from lib.data.arrays import FRAME, VIEW


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


def scale_align(pred, gt):
    """Each predicted pose scaled by the least-squares factor that best fits its ground truth
    (no rotation, no translation: N-MPJPE as VideoPose3D and Rhodin et al. compute it).
    pred, gt (N, J, 3) -> (N, J, 3)."""
    num = np.sum(pred * gt, axis=(1, 2))
    den = np.sum(pred * pred, axis=(1, 2))
    scale = np.where(den > 0, num / np.maximum(den, 1e-12), 1.0)
    return pred * scale[:, None, None].astype(pred.dtype)


PCK_THRESHOLD = 150.0                          # mm, the MPI-INF-3DHP convention
AUC_THRESHOLDS = np.linspace(0.0, 150.0, 31)   # 0, 5, ..., 150 mm


def pck(joint_error, threshold=PCK_THRESHOLD):
    """Share of joints (N, J) mm within `threshold` mm, per frame (N,), in [0, 1]."""
    return np.mean(joint_error <= threshold, axis=1, dtype=np.float64)


def pck_auc(joint_error):
    """Area under the PCK curve over 0..150 mm (the mean PCK at 31 thresholds), per frame."""
    return np.mean([pck(joint_error, t) for t in AUC_THRESHOLDS], axis=0)


def protocol_errors(pred, gt):
    """Per-frame and per-joint errors of every frame-wise measure.

    Returns dict: 'p1' (N,) MPJPE with the 17-joint convention, 'p2' (N,) PA-MPJPE over all 17
    joints after alignment, 'p3' (N,) N-MPJPE (scale-aligned, 17-joint convention),
    'pck150' (N,) share of the 17 joints within 150 mm, 'auc' (N,) the area under the PCK
    curve over 0-150 mm, 'p1_joints' and 'p2_joints' (N, 17), 'p1_axes' (N, 3) mean absolute
    error along x, y, z (same 17-joint convention).
    """
    # float32 halves the memory traffic of these whole-array passes; for poses in mm it changes
    # the errors by less than 1e-4 mm (the per-frame values are summed in float64 afterwards).
    pred = np.asarray(pred, dtype=np.float32)
    gt = np.asarray(gt, dtype=np.float32)
    e1 = joint_errors(pred, gt)
    e2 = joint_errors(procrustes_align(pred, gt), gt)
    e3 = joint_errors(scale_align(pred, gt), gt)
    return {'p1': e1.mean(axis=1, dtype=np.float64), 'p2': e2.mean(axis=1, dtype=np.float64),
            'p3': e3.mean(axis=1, dtype=np.float64), 'pck150': pck(e1), 'auc': pck_auc(e1),
            'p1_joints': e1, 'p2_joints': e2,
            'p1_axes': np.abs(pred - gt).mean(axis=1, dtype=np.float64)}


def velocity_errors(pred, gt, ids):
    """MPJVE per frame (N,) mm per frame: the mean over the 17 joints of the distance between
    the predicted and the true displacement from the previous evaluated frame of the same
    recording (subject, action, subaction, camera), divided by the frame gap; NaN for a
    recording's first frame. pred, gt (N, 17, 3) root-relative mm; ids (N, 5) in recording
    order then frame order (lib.data.arrays)."""
    out = np.full(len(pred), np.nan)
    if len(pred) < 2:
        return out
    same = (np.all(ids[1:, VIEW] == ids[:-1, VIEW], axis=1)
            & (ids[1:, FRAME] > ids[:-1, FRAME]))
    gap = (ids[1:, FRAME] - ids[:-1, FRAME]).astype(np.float64)
    moved = (np.asarray(pred[1:], np.float64) - pred[:-1]) - (np.asarray(gt[1:], np.float64) - gt[:-1])
    error = np.linalg.norm(moved, axis=-1).mean(axis=1) / np.maximum(gap, 1)
    out[1:][same] = error[same]
    return out


def by_action(values, actions, names=None):
    """Mean of per-frame `values` (N, ...) for each action id present, in id order, named by
    `names` ({id: name}, default Human3.6M's actions), then 'Average' (the mean over the
    actions, as in the paper's tables, where it is over Human3.6M's 15) and 'All frames'."""
    names = h36m.ACTIONS if names is None else names
    out = {names.get(int(a), 'action %d' % a): _mean(values[actions == a])
           for a in np.unique(actions)}
    out['Average'] = np.mean(list(out.values()), axis=0)
    out['All frames'] = _mean(values)
    return out


def _mean(values):
    """Mean over frames, leaving out NaN (the first frame of a recording has no velocity)."""
    if values.dtype.kind == 'f' and np.isnan(values).any():
        return np.nanmean(values, axis=0, dtype=np.float64)
    return values.mean(axis=0, dtype=np.float64)


def by_group(values, groups):
    """Mean of per-frame `values` for each distinct value of `groups` (N,) and 'All frames'."""
    out = {int(g): _mean(values[groups == g]) for g in np.unique(groups)}
    out['All frames'] = _mean(values)
    return out


def frame_counts(actions, names=None):
    """Number of frames per action name (in id order; `names` as for by_action) and in all."""
    names = h36m.ACTIONS if names is None else names
    counts = {names.get(int(a), 'action %d' % a): int(np.sum(actions == a))
              for a in np.unique(actions)}
    counts['All frames'] = int(len(actions))
    return counts
