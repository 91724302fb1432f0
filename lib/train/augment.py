"""Training-batch augmentation on the device: input noise and left-right mirroring.

A mirrored pair is a valid training sample (lib.codec.flip_inputs says why). Neither the paper
nor the seed mirrors; it is off by default (TRAIN.flip, TEST.flip).
"""
import mxnet as mx
import numpy as np

from lib.codec import mirror_affine


class DeviceAugment:
    """Noise and mirroring of z-scored training batches, on the device (NDArray operations).

    Mirroring a z-scored input is an affine map of its permuted dimensions: with raw = x * s + m,
    the mirror's u is 2 cx - u and v stays, the joints' sides swapped. A random half of every
    batch is mirrored (TRAIN.flip); Gaussian noise of std `sigma` pixels is added to every input,
    drawn anew for every batch (DATASET.sigma). MXNet's generator draws both, seeded per epoch.
    """

    def __init__(self, stats, sigma=0.0, flip=False):
        self.sigma, self.flip = float(sigma), bool(flip)
        self.host = mirror_affine(stats)
        self.host['noise'] = (self.sigma / stats['std2d']).astype(np.float32)
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
