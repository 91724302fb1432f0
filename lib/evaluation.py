"""From pose arrays to predictions and errors with a trained network and its statistics."""
import numpy as np

from lib.augment import add_test_noise
from lib.metrics import protocol_errors, velocity_errors
from lib.normalization import network_targets, targets_to_pose
from lib.prediction import finish_poses, start_poses
from lib.progress import progress

CHUNK = 16384   # frames scored by numpy while MXNet computes the next chunk's predictions


def ground_truth_poses(pose3d):
    """Camera-frame poses (N, 17, 3) -> root-relative (N, 17, 3) with the root at 0, float32."""
    return targets_to_pose(network_targets(pose3d))


def evaluate(net, data, stats, context, test_cfg):
    """Every frame of `data` (lib.arrays; pass lib.arrays.every_nth(data, TEST.every) to
    subsample) once, with the noise and flip options of config section TEST. Returns (errors,
    predictions): lib.metrics.protocol_errors plus 'mpjve' (lib.metrics.velocity_errors), and
    (N, 17, 3) mm. Works in chunks so that scoring one overlaps predicting the next."""
    pose2d = add_test_noise(data['pose2d'], test_cfg.sigma, test_cfg.noise_seed)
    starts = range(0, len(pose2d), CHUNK)
    preds, gts, errors, pending = [], [], [], None
    for start in progress(list(starts) + [None], desc='evaluate', unit='chunk'):
        job = None
        if start is not None:
            rows = slice(start, start + CHUNK)
            job = (rows, start_poses(net, pose2d[rows], stats, context, test_cfg.batchsize,
                                     data['centre'][rows], test_cfg.flip))
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
