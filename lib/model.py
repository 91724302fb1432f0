"""The residual MLP of Martinez et al. (2017) as a Gluon HybridBlock, with the options that tell
the original TensorFlow recipe from the seed's (see doc/fidelity.md)."""
import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from lib import h36m


class MaxNormDense(nn.Dense):
    """Dense whose weight matrix is scaled to Frobenius norm at most 1 in the forward pass, as the
    original code's `tf.clip_by_norm(w, 1)`: the stored weight is left as it is, the gradient
    flows through the scaling. (s W) x + b is computed as s (W x) + b: the scalar multiplies the
    small output, not the large weight matrix."""

    def hybrid_forward(self, F, x, weight, bias=None):
        scale = F.clip(1.0 / (F.norm(weight) + 1e-12), 0.0, 1.0).reshape((1, 1))
        out = F.FullyConnected(x, weight, no_bias=True, num_hidden=self._units,
                               flatten=self._flatten)
        return F.broadcast_add(F.broadcast_mul(out, scale), bias.reshape((1, -1)))


def _dense(units, in_units, max_norm):
    return (MaxNormDense if max_norm else nn.Dense)(units, in_units=in_units)


def _linear_unit(seq, units, in_units, opts):
    """Append Linear, BatchNorm, ReLU, Dropout to a HybridSequential."""
    seq.add(_dense(units, in_units, opts['max_norm']),
            nn.BatchNorm(momentum=opts['bn_momentum'], epsilon=opts['bn_epsilon'],
                         use_global_stats=opts['bn_global_stats'], in_channels=units),
            nn.Activation('relu'),
            nn.Dropout(opts['dropout']))


class ResidualBlock(nn.HybridBlock):
    """Two times (Linear, BatchNorm, ReLU, Dropout), plus the input: (B, width) -> (B, width)."""

    def __init__(self, width, opts, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.layers = nn.HybridSequential()
            for _ in range(2):
                _linear_unit(self.layers, width, width, opts)

    def hybrid_forward(self, F, x):
        return x + self.layers(x)


class LiftingNetwork(nn.HybridBlock):
    """z-scored 2D joints (B, 32) -> z-scored root-relative 3D joints (B, 48) (the sizes are
    h36m.INPUT_SIZE and h36m.OUTPUT_SIZE)."""

    def __init__(self, linear_size=1024, num_blocks=2, dropout=0.5,
                 bn_momentum=0.9, bn_epsilon=1e-5, bn_global_stats=False, max_norm=False,
                 **kwargs):
        """bn_global_stats: BatchNorm uses its running statistics in training too (frozen
        statistics, for fine-tuning with tiny batches and for exact multi-device checks).
        max_norm: every weight matrix scaled to norm <= 1 in the forward pass (TF code)."""
        super().__init__(**kwargs)
        opts = {'dropout': dropout, 'bn_momentum': bn_momentum, 'bn_epsilon': bn_epsilon,
                'bn_global_stats': bn_global_stats, 'max_norm': max_norm}
        with self.name_scope():
            self.stem = nn.HybridSequential()
            _linear_unit(self.stem, linear_size, h36m.INPUT_SIZE, opts)
            self.blocks = nn.HybridSequential()
            for _ in range(num_blocks):
                self.blocks.add(ResidualBlock(linear_size, opts))
            self.head = _dense(h36m.OUTPUT_SIZE, linear_size, max_norm)

    def hybrid_forward(self, F, x):
        return self.head(self.blocks(self.stem(x)))

    def dense_layers(self):
        """The Linear layers in forward order: stem, each block's two, head."""
        return [b for b in _walk(self) if isinstance(b, nn.Dense)]

    def batchnorm_layers(self):
        """The BatchNorm layers in forward order."""
        return [b for b in _walk(self) if isinstance(b, nn.BatchNorm)]


def _walk(block):
    yield block
    for child in block._children.values():
        yield from _walk(child)


class KaimingTruncatedNormal(mx.init.Initializer):
    """The original code's initialiser: a normal truncated at two standard deviations times
    sqrt(2 / shape[0]) of the TensorFlow variable, for weights and biases alike. TF stores a
    weight as (in, out), so its std is sqrt(2 / fan_in); a bias is (out,), so sqrt(2 / out).
    Gluon stores the weight as (out, in): fan_in is shape[1] here."""

    def _truncated(self, arr, std):
        values = np.random.standard_normal(arr.shape)
        bad = np.abs(values) > 2
        while bad.any():
            values[bad] = np.random.standard_normal(int(bad.sum()))
            bad = np.abs(values) > 2
        arr[:] = values * std

    def _init_weight(self, name, arr):
        self._truncated(arr, np.sqrt(2.0 / arr.shape[1]))

    def _init_bias(self, name, arr):
        self._truncated(arr, np.sqrt(2.0 / arr.shape[0]))


INITIALIZERS = {'msraprelu': mx.init.MSRAPrelu, 'kaiming_truncnormal': KaimingTruncatedNormal}


def build_network(net_cfg, max_norm=None):
    """The network described by config section NETWORK (not yet initialised); `max_norm`
    overrides NETWORK.max_norm when given."""
    return LiftingNetwork(linear_size=net_cfg.linear_size, num_blocks=net_cfg.nResBlock,
                          dropout=net_cfg.dropout, bn_momentum=net_cfg.bn_momentum,
                          bn_epsilon=net_cfg.bn_epsilon,
                          max_norm=net_cfg.max_norm if max_norm is None else max_norm)


def initialize_network(net, net_cfg, contexts):
    """Initialise with the configured scheme (NETWORK.init) on the given contexts."""
    net.initialize(INITIALIZERS[net_cfg.init](), ctx=contexts)
