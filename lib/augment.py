"""Input noise and left-right mirroring, on whole batches.

Mirroring the image about the principal point (u -> 2*cx - u) is exactly the 3D mirror
x -> -x for a pinhole camera, once left and right joints are swapped, so a mirrored pair is a
valid training sample. Neither the paper nor the seed uses it; it is off by default
(TRAIN.flip, TEST.flip).
"""
import mxnet as mx
import numpy as np

from lib import h36m


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


class DeviceAugment:
    """Noise and mirroring of z-scored training batches, on the device (NDArray operations).

    Mirroring a z-scored input is an affine map of its permuted dimensions: with raw = x * s + m,
    the mirror's u is 2 cx - u and v stays, the joints' sides swapped. A random half of every
    batch is mirrored (TRAIN.flip); Gaussian noise of std `sigma` pixels is added to every input,
    drawn anew for every batch (DATASET.sigma). MXNet's generator draws both, seeded per epoch.
    """

    def __init__(self, stats, sigma=0.0, flip=False):
        self.sigma, self.flip = float(sigma), bool(flip)
        s2, m2 = stats['std2d'].astype(np.float32), stats['mean2d'].astype(np.float32)
        s3, m3 = stats['std3d'].astype(np.float32), stats['mean3d'].astype(np.float32)
        perm2 = np.stack([2 * INPUT_SWAP, 2 * INPUT_SWAP + 1], axis=1).ravel()
        perm3 = np.stack([3 * OUTPUT_SWAP, 3 * OUTPUT_SWAP + 1, 3 * OUTPUT_SWAP + 2], axis=1).ravel()
        n_in, n_out = len(h36m.INPUT_JOINTS), len(h36m.OUTPUT_JOINTS)
        sign2 = np.tile([-1.0, 1.0], n_in).astype(np.float32)
        sign3 = np.tile([-1.0, 1.0, 1.0], n_out).astype(np.float32)
        # x' = (sign * (x[perm] * s[perm] + m[perm]) + 2 cx * is_u - m) / s
        self.host = {
            'x_scale': sign2 * s2[perm2] / s2, 'x_shift': (sign2 * m2[perm2] - m2) / s2,
            'x_cx': np.tile([2.0, 0.0], n_in).astype(np.float32) / s2,
            'y_scale': sign3 * s3[perm3] / s3, 'y_shift': (sign3 * m3[perm3] - m3) / s3,
            'perm2': perm2.astype(np.int64), 'perm3': perm3.astype(np.int64),
            'noise': (self.sigma / s2).astype(np.float32)}
        self.device = {}

    def active(self):
        return self.flip or self.sigma > 0

    def _constants(self, ctx):
        if ctx not in self.device:
            self.device[ctx] = {k: mx.nd.array(v, ctx=ctx, dtype=v.dtype).reshape((1, -1))
                                for k, v in self.host.items()}
        return self.device[ctx]

    def __call__(self, x, y, cx):
        """x (B, 32), y (B, 48), cx (B,) NDArrays on one device -> augmented (x, y)."""
        k = self._constants(x.context)
        if self.flip:
            b = x.shape[0]
            # Exactly half of the batch, chosen at random.
            mask = (mx.nd.random.shuffle(mx.nd.arange(b, ctx=x.context)) < b // 2).reshape((-1, 1))
            xf = (mx.nd.take(x, k['perm2'][0], axis=1) * k['x_scale'] + k['x_shift']
                  + cx.reshape((-1, 1)) * k['x_cx'])
            yf = mx.nd.take(y, k['perm3'][0], axis=1) * k['y_scale'] + k['y_shift']
            x = mx.nd.where(mx.nd.broadcast_like(mask, x), xf, x)
            y = mx.nd.where(mx.nd.broadcast_like(mask, y), yf, y)
        if self.sigma > 0:
            x = x + mx.nd.random.normal(shape=x.shape, ctx=x.context) * k['noise']
        return x, y


def add_test_noise(pose2d, sigma, seed):
    """2D poses (N, 17, 2) plus Gaussian noise of std `sigma` pixels from a fixed seed."""
    if sigma <= 0:
        return pose2d
    rng = np.random.default_rng(seed)
    return (pose2d + rng.normal(0.0, sigma, size=pose2d.shape)).astype(pose2d.dtype)
