"""Input noise and left-right mirroring, on whole batches.

Mirroring the image about the principal point (u -> 2*cx - u) is exactly the 3D mirror
x -> -x for a pinhole camera, once left and right joints are swapped, so a mirrored pair is a
valid training sample. Neither the paper nor the seed uses it; it is off by default
(TRAIN.flip, TEST.flip).
"""
import numpy as np

from lib import h36m
from lib.normalization import normalize, unnormalize


def _swap(joints):
    """Permutation of `joints` (17-joint ids) that exchanges left and right."""
    partner = {}
    for a, b in h36m.FLIP_PAIRS:
        partner[a], partner[b] = b, a
    return np.array([joints.index(partner.get(j, j)) for j in joints])


INPUT_SWAP = _swap(list(h36m.INPUT_JOINTS))     # (16,) over the input joints
OUTPUT_SWAP = _swap(list(h36m.OUTPUT_JOINTS))   # (16,) over the output joints


def flip_inputs(inputs, cx):
    """Mirror 2D inputs (N, 32) pixels about the vertical line u = cx (N,), swapping sides."""
    pts = inputs.reshape(len(inputs), -1, 2)[:, INPUT_SWAP].copy()
    pts[..., 0] = 2 * cx[:, None] - pts[..., 0]
    return pts.reshape(len(inputs), -1)


def flip_targets(targets):
    """Mirror 3D targets (N, 48) mm: x -> -x, swapping sides."""
    pts = targets.reshape(len(targets), -1, 3)[:, OUTPUT_SWAP].copy()
    pts[..., 0] = -pts[..., 0]
    return pts.reshape(len(targets), -1)


def make_batch_transform(stats, cx, sigma=0.0, flip=False):
    """A function (x, y, idx, rng) -> (x, y) for lib.training.train_epoch, or None.

    x (B, 32), y (B, 48) are z-scored batches, idx their rows in the training set, cx (N,)
    every training frame's principal point. flip: a random half of the batch is mirrored.
    sigma: Gaussian noise of that std in pixels on every input, drawn anew for every batch.
    """
    if not flip and sigma <= 0:
        return None
    noise_std = (sigma / stats['std2d']).astype(np.float32)

    def transform(x, y, idx, rng):
        if flip:
            rows = rng.choice(len(x), len(x) // 2, replace=False)
            raw_x = unnormalize(x[rows], stats['mean2d'], stats['std2d'])
            raw_y = unnormalize(y[rows], stats['mean3d'], stats['std3d'])
            x, y = x.copy(), y.copy()
            x[rows] = normalize(flip_inputs(raw_x, cx[idx[rows]]), stats['mean2d'], stats['std2d'])
            y[rows] = normalize(flip_targets(raw_y), stats['mean3d'], stats['std3d'])
        if sigma > 0:
            x = x + (rng.standard_normal(x.shape) * noise_std).astype(np.float32)
        return x, y

    return transform


def add_test_noise(pose2d, sigma, seed):
    """2D poses (N, 17, 2) plus Gaussian noise of std `sigma` pixels from a fixed seed."""
    if sigma <= 0:
        return pose2d
    rng = np.random.default_rng(seed)
    return (pose2d + rng.normal(0.0, sigma, size=pose2d.shape)).astype(pose2d.dtype)
