"""From pose arrays to predictions and errors with a trained network and its statistics."""
import mxnet as mx
import numpy as np

from lib.augment import add_test_noise, flip_inputs, flip_targets
from lib.metrics import protocol_errors
from lib.normalization import (network_inputs, network_targets, normalize, targets_to_pose,
                               unnormalize)
from lib.progress import progress
from lib.training import launch_forward

CHUNK = 16384   # frames scored by numpy while MXNet computes the next chunk's predictions


def _start(net, pose2d, stats, context, batch_size, centre, flip):
    """Queue the network on 2D poses (N, 17, 2) px (and on their mirror images when flip);
    returns the pending outputs."""
    inputs = network_inputs(pose2d)
    runs = [launch_forward(net, normalize(inputs, stats['mean2d'], stats['std2d']), context,
                           batch_size)]
    if flip:
        mirrored = flip_inputs(inputs, centre[:, 0])
        runs.append(launch_forward(net, normalize(mirrored, stats['mean2d'], stats['std2d']),
                                   context, batch_size))
    return runs


def _finish(runs, stats):
    """Pending outputs -> predicted 3D (N, 17, 3) mm, root-relative, root at 0; with a mirrored
    run, its prediction is mirrored back and the two are averaged."""
    targets = [unnormalize(mx.nd.concat(*r, dim=0).asnumpy(), stats['mean3d'], stats['std3d'])
               for r in runs]
    if len(targets) == 2:
        targets = [(targets[0] + flip_targets(targets[1])) / 2]
    return targets_to_pose(targets[0].astype(np.float32))


def predict_poses(net, pose2d, stats, context, batch_size, centre=None, flip=False):
    """2D poses (N, 17, 2) pixels -> predicted 3D (N, 17, 3) mm, root-relative, root at 0.

    flip: also lift the mirror image (about u = cx, centre (N, 2) the principal points), mirror
    that prediction back, and average the two."""
    return _finish(_start(net, pose2d, stats, context, batch_size, centre, flip), stats)


def ground_truth_poses(pose3d):
    """Camera-frame poses (N, 17, 3) -> root-relative (N, 17, 3) with the root at 0, float32."""
    return targets_to_pose(network_targets(pose3d))


def evaluate(net, data, stats, context, test_cfg):
    """Every frame of `data` (lib.dataset arrays) once, with the noise and flip options of
    config section TEST. Returns (errors, predictions) as lib.metrics.protocol_errors and
    (N, 17, 3) mm. Works in chunks so that scoring one overlaps predicting the next."""
    pose2d = add_test_noise(data['pose2d'], test_cfg.sigma, test_cfg.noise_seed)
    starts = range(0, len(pose2d), CHUNK)
    preds, errors, pending = [], [], None
    for start in progress(list(starts) + [None], desc='evaluate', unit='chunk'):
        job = None
        if start is not None:
            rows = slice(start, start + CHUNK)
            job = (rows, _start(net, pose2d[rows], stats, context, test_cfg.batchsize,
                                data['centre'][rows], test_cfg.flip))
        if pending is not None:
            rows, runs = pending
            preds.append(_finish(runs, stats))
            errors.append(protocol_errors(preds[-1], ground_truth_poses(data['pose3d'][rows])))
        pending = job
    merged = {k: np.concatenate([e[k] for e in errors]) for k in errors[0]}
    return merged, np.concatenate(preds)
