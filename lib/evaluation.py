"""From pose arrays to predictions and errors with a trained network and its statistics."""
import numpy as np

from lib.metrics import protocol_errors
from lib.normalization import (network_inputs, network_targets, normalize, targets_to_pose,
                               unnormalize)
from lib.training import predict


def predict_poses(net, pose2d, stats, context, batch_size):
    """2D poses (N, 17, 2) pixels -> predicted 3D (N, 17, 3) mm, root-relative, root at 0."""
    x = normalize(network_inputs(pose2d), stats['mean2d'], stats['std2d'])
    y = predict(net, x, context, batch_size)
    return targets_to_pose(unnormalize(y, stats['mean3d'], stats['std3d']))


def ground_truth_poses(pose3d):
    """Camera-frame poses (N, 17, 3) -> root-relative (N, 17, 3) with the root at 0, float64."""
    return targets_to_pose(network_targets(pose3d).astype(np.float64))


def evaluate(net, data, stats, context, batch_size):
    """Every frame of `data` (lib.dataset arrays) once. Returns (errors, predictions)."""
    pred = predict_poses(net, data['pose2d'], stats, context, batch_size)
    return protocol_errors(pred, ground_truth_poses(data['pose3d'])), pred
