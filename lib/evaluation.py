"""From pose arrays to predictions and errors with a trained network and its statistics."""
import numpy as np

from lib.augment import add_test_noise, flip_inputs, flip_targets
from lib.metrics import protocol_errors
from lib.normalization import (network_inputs, network_targets, normalize, targets_to_pose,
                               unnormalize)
from lib.training import predict


def _lift(net, inputs, stats, context, batch_size):
    """Raw 2D inputs (N, 32) px -> raw 3D targets (N, 48) mm."""
    y = predict(net, normalize(inputs, stats['mean2d'], stats['std2d']), context, batch_size)
    return unnormalize(y, stats['mean3d'], stats['std3d'])


def predict_poses(net, pose2d, stats, context, batch_size, centre=None, flip=False):
    """2D poses (N, 17, 2) pixels -> predicted 3D (N, 17, 3) mm, root-relative, root at 0.

    flip: also lift the mirror image (about u = cx, centre (N, 2) the principal points), mirror
    that prediction back, and average the two."""
    inputs = network_inputs(pose2d)
    targets = _lift(net, inputs, stats, context, batch_size)
    if flip:
        mirrored = _lift(net, flip_inputs(inputs, centre[:, 0]), stats, context, batch_size)
        targets = (targets + flip_targets(mirrored)) / 2
    return targets_to_pose(targets.astype(np.float32))


def ground_truth_poses(pose3d):
    """Camera-frame poses (N, 17, 3) -> root-relative (N, 17, 3) with the root at 0, float32."""
    return targets_to_pose(network_targets(pose3d))


def evaluate(net, data, stats, context, test_cfg):
    """Every frame of `data` (lib.dataset arrays) once, with the noise and flip options of
    config section TEST. Returns (errors, predictions)."""
    pose2d = add_test_noise(data['pose2d'], test_cfg.sigma, test_cfg.noise_seed)
    pred = predict_poses(net, pose2d, stats, context, test_cfg.batchsize, data['centre'],
                         test_cfg.flip)
    return protocol_errors(pred, ground_truth_poses(data['pose3d'])), pred
