"""From pose arrays to predictions and errors with a trained network and its statistics."""
import numpy as np

from lib.codec import network_targets, targets_to_pose
from lib.core.progress import progress
from lib.eval.metrics import protocol_errors, velocity_errors
from lib.eval.prediction import finish_poses, start_poses

CHUNK = 16384   # frames scored by numpy while MXNet computes the next chunk's predictions


def ground_truth_poses(pose3d):
    """Camera-frame poses (N, 17, 3) -> root-relative (N, 17, 3) with the root at 0, float32."""
    return targets_to_pose(network_targets(pose3d))


def evaluate(net, data, stats, context, test_cfg, space='pixel'):
    """Every frame of `data` (lib.data.arrays; pass lib.data.arrays.every_nth(data, TEST.every) to
    subsample) once, with the noise and flip options of config section TEST. Returns (errors,
    predictions): lib.eval.metrics.protocol_errors plus 'mpjve' (lib.eval.metrics.velocity_errors), and
    (N, 17, 3) mm. `space`: the network's input space (lib.codec). Works in chunks so that
    scoring one overlaps predicting the next."""
    pose2d = add_test_noise(data['pose2d'], test_cfg.sigma, test_cfg.noise_seed)
    starts = range(0, len(pose2d), CHUNK)
    preds, gts, errors, pending = [], [], [], None
    for start in progress(list(starts) + [None], desc='evaluate', unit='chunk'):
        job = None
        if start is not None:
            rows = slice(start, start + CHUNK)
            job = (rows, start_poses(net, pose2d[rows], stats, context, test_cfg.batchsize,
                                     data['centre'][rows], test_cfg.flip, space))
        if pending is not None:
            rows, outputs = pending
            preds.append(finish_poses(outputs, stats))
            gts.append(ground_truth_poses(data['pose3d'][rows]))
            errors.append(protocol_errors(preds[-1], gts[-1]))
        pending = job
    merged = {k: np.concatenate([e[k] for e in errors]) for k in errors[0]}
    pred = np.concatenate(preds)
    # Velocities need each frame's predecessor, which may sit in the chunk before.
    merged['mpjve'] = velocity_errors(pred, np.concatenate(gts), data['ids'])
    return merged, pred


def add_test_noise(pose2d, sigma, seed):
    """2D poses (N, 17, 2) plus Gaussian noise of std `sigma` pixels from a fixed seed."""
    if sigma <= 0:
        return pose2d
    rng = np.random.default_rng(seed)
    return (pose2d + rng.normal(0.0, sigma, size=pose2d.shape)).astype(pose2d.dtype)
