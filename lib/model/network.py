"""The residual MLP of Martinez et al. (2017) as a Gluon HybridBlock, with the options that tell
the original TensorFlow recipe from the seed's (see doc/fidelity.md)."""
import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from lib.core import h36m


class MaxNormDense(nn.Dense):
    """Dense whose weight matrix is scaled to Frobenius norm at most 1 in the forward pass, as the
    original code's `tf.clip_by_norm(w, 1)`: the stored weight is left as it is, the gradient
    flows through the scaling, the norm included.

    Computed as W (s x) + b, s = min(1, 1 / |W|): the same numbers as (s W) x + b, arranged so
    that MXNet's CPU operators are fast. Its reductions (norm, the sums behind a broadcast
    product's gradient) run at a few hundred million numbers a second, so the norm and both
    scalings go through FullyConnected (BLAS) instead: |W|^2 is the weight flattened to one row
    times itself, and s multiplies the small input (batch, in) rather than the weight. Where
    `norm` and broadcasting made a step 2.5 times as long as without max-norm, this measured
    1.15 to 1.3 times (doc/benchmark.md)."""

    def hybrid_forward(self, F, x, weight, bias=None):
        flat = weight.reshape((1, -1))
        # |W|^2 with the gradient 2 W sent once, to the data side: t's value is |W|^2 and its
        # gradient is W; 2 t - t (the second stopped) keeps the value and doubles the gradient.
        t = F.FullyConnected(flat, F.stop_gradient(flat), no_bias=True, num_hidden=1)
        squared = 2 * t - F.stop_gradient(t)                                    # (1, 1)
        scale = F.clip(1.0 / (F.sqrt(squared) + 1e-12), 0.0, 1.0)               # (1, 1)
        scaled = F.FullyConnected(x.reshape((-1, 1)), scale, no_bias=True, num_hidden=1)
        return F.FullyConnected(F.reshape_like(scaled, x), weight, bias, num_hidden=self._units,
                                flatten=self._flatten)


class ChannelMajorBatchNorm(nn.BatchNorm):
    """BatchNorm of (batch, channels) activations, computed on their transpose (1, channels,
    batch): the same operator, parameters, names and numbers as nn.BatchNorm (up to float32
    rounding of its sums), arranged so that MXNet's CPU operator runs along memory.

    On a 2D input, MXNet 1.9's CPU BatchNorm walks each channel down the batch, one element
    every `channels` floats: once the activations outgrow the cache, every element costs a
    cache miss, and five BatchNorm layers at batch 1024 took longer than the six Linear layers.
    Transposed, each channel is one contiguous row; the two transposes are plain copies. In a
    micro-benchmark of one layer (1024 channels, forward and backward, 2-core CPU) this took
    7.5 ms at batch 1024 against 21.3 ms, and 0.62 against 0.95 ms at batch 64
    (doc/benchmark.md)."""

    def _alias(self):
        return 'batchnorm'          # the parameter names of nn.BatchNorm

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        # reshape, not expand_dims and squeeze: those copy the array, reshape does not.
        channel_major = F.reshape(F.transpose(x), shape=(-4, 1, -1, -2))      # (1, C, B)
        y = F.BatchNorm(channel_major, gamma, beta, running_mean, running_var,
                        name='fwd', **self._kwargs)                           # axis 1: C
        return F.transpose(F.reshape(y, shape=(-3, -2)))                     # (B, C)


def _dense(units, in_units, max_norm):
    return (MaxNormDense if max_norm else nn.Dense)(units, in_units=in_units)


def _linear_unit(seq, units, in_units, opts):
    """Append Linear, BatchNorm, ReLU, Dropout to a HybridSequential."""
    seq.add(_dense(units, in_units, opts['max_norm']),
            opts['batchnorm'](momentum=opts['bn_momentum'], epsilon=opts['bn_epsilon'],
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


class StemBlocksHead(nn.HybridBlock):
    """The shape both networks share: a stem Linear unit, residual blocks, a head Linear; the
    subclass fills self.stem, self.blocks and self.head."""

    def hybrid_forward(self, F, x):
        return self.head(self.blocks(self.stem(x)))

    def dense_layers(self):
        """The Linear layers in forward order: stem, each block's two, head."""
        return [b for b in _walk(self) if isinstance(b, nn.Dense)]


class LiftingNetwork(StemBlocksHead):
    """z-scored 2D joints (B, 32) -> z-scored root-relative 3D joints (B, 48) (the sizes are
    h36m.INPUT_SIZE and h36m.OUTPUT_SIZE)."""

    def __init__(self, linear_size=1024, num_blocks=2, dropout=0.5,
                 bn_momentum=0.9, bn_epsilon=1e-5, bn_global_stats=False, max_norm=False,
                 batchnorm=ChannelMajorBatchNorm, **kwargs):
        """bn_global_stats: BatchNorm uses its running statistics in training too (frozen
        statistics, for fine-tuning with tiny batches and for exact multi-device checks).
        max_norm: every weight matrix scaled to norm <= 1 in the forward pass (TF code).
        batchnorm: the BatchNorm block class (nn.BatchNorm computes the same, slower)."""
        super().__init__(**kwargs)
        opts = {'dropout': dropout, 'bn_momentum': bn_momentum, 'bn_epsilon': bn_epsilon,
                'bn_global_stats': bn_global_stats, 'max_norm': max_norm,
                'batchnorm': batchnorm}
        with self.name_scope():
            self.stem = nn.HybridSequential()
            _linear_unit(self.stem, linear_size, h36m.INPUT_SIZE, opts)
            self.blocks = nn.HybridSequential()
            for _ in range(num_blocks):
                self.blocks.add(ResidualBlock(linear_size, opts))
            self.head = _dense(h36m.OUTPUT_SIZE, linear_size, max_norm)

    def batchnorm_layers(self):
        """The BatchNorm layers in forward order."""
        return [b for b in _walk(self) if isinstance(b, nn.BatchNorm)]

    def set_bn_momentum(self, momentum):
        """Every BatchNorm layer's running-average momentum from now on. The operator takes it
        as an attribute, which a hybridized network bakes into its cached graph: the graph is
        dropped so that the next call traces it again with the new value (only when it changes)."""
        momentum = float(momentum)
        if all(layer._kwargs['momentum'] == momentum for layer in self.batchnorm_layers()):
            return
        for layer in self.batchnorm_layers():
            layer._kwargs['momentum'] = momentum
        for block in _walk(self):
            if isinstance(block, nn.HybridBlock):
                block._clear_cached_op()


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


def training_bytes(net_cfg, batch):
    """About how many bytes training the network of NETWORK takes on one device at `batch`
    samples: float32 weights, gradients and Adam's two moments, and the activations of the
    forward and backward passes (each layer's output, BatchNorm's and Dropout's copies)."""
    width, layers = net_cfg.linear_size, 1 + 2 * net_cfg.nResBlock
    weights = (h36m.INPUT_SIZE * width + (layers - 1) * width * width
               + width * h36m.OUTPUT_SIZE + 6 * layers * width + h36m.OUTPUT_SIZE)
    activations = 6 * layers * width * batch
    return 4 * (4 * weights + activations)


def initialize_network(net, net_cfg, contexts):
    """Initialise with the configured scheme (NETWORK.init) on the given contexts."""
    net.initialize(INITIALIZERS[net_cfg.init](), ctx=contexts)


def training_network(net_cfg, contexts, hybrid=None):
    """A new network of config section NETWORK, initialised on `contexts` and hybridized when
    `hybrid` (default NETWORK.hybrid) with static memory and shapes: a training step's batch
    never changes."""
    net = build_network(net_cfg)
    initialize_network(net, net_cfg, contexts)
    if net_cfg.hybrid if hybrid is None else hybrid:
        net.hybridize(static_alloc=True, static_shape=True)
    return net


class FoldedNetwork(StemBlocksHead):
    """The LiftingNetwork for prediction only: each Linear with the BatchNorm after it (running
    statistics, gamma and beta) and its max-norm scale folded into one Linear + ReLU, Dropout
    (the identity at inference) gone. z-scored (B, 32) -> (B, 48), the inference-mode outputs
    of the network it was folded from up to float32 rounding. Made by fold_batchnorm."""

    def __init__(self, linear_size, num_blocks, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.stem = nn.Dense(linear_size, activation='relu', in_units=h36m.INPUT_SIZE)
            self.blocks = nn.HybridSequential()
            for _ in range(num_blocks):
                self.blocks.add(FoldedBlock(linear_size))
            self.head = nn.Dense(h36m.OUTPUT_SIZE, in_units=linear_size)


class FoldedBlock(nn.HybridBlock):
    """x + relu(L2(relu(L1(x)))), L1 and L2 Linear layers with their BatchNorm folded in."""

    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.layers = nn.HybridSequential()
            for _ in range(2):
                self.layers.add(nn.Dense(width, activation='relu', in_units=width))

    def hybrid_forward(self, F, x):
        return x + self.layers(x)


def _float64(param):
    """A parameter's value (from its first device) as float64 numpy."""
    return param.data(param.list_ctx()[0]).asnumpy().astype(np.float64)


def effective_weight(layer):
    """A Linear layer's weight (out, in) as the forward pass uses it, float64 numpy: for a
    MaxNormDense, scaled to Frobenius norm at most 1."""
    w = _float64(layer.weight)
    if isinstance(layer, MaxNormDense):
        w = w * min(1.0, 1.0 / (np.sqrt(np.square(w).sum()) + 1e-12))
    return w


def fold_batchnorm(net, context):
    """A FoldedNetwork on `context` computing what the trained LiftingNetwork `net` computes in
    inference mode. Each BatchNorm y = gamma (z - mean) / sqrt(var + eps) + beta of a Linear's
    output z = W x + b becomes the Linear (a W) x + a (b - mean) + beta, a = gamma / sqrt(var +
    eps) per output; folded in float64, then stored as float32."""
    dense, norms = net.dense_layers(), net.batchnorm_layers()
    folded = FoldedNetwork(dense[0].weight.shape[0], (len(dense) - 2) // 2)
    folded.initialize(ctx=context)
    for k, (src, dst) in enumerate(zip(dense, folded.dense_layers())):
        w, b = effective_weight(src), _float64(src.bias)
        if k < len(norms):                       # every Linear but the head has a BatchNorm
            bn = norms[k]
            a = _float64(bn.gamma) / np.sqrt(_float64(bn.running_var) + bn._kwargs['eps'])
            w, b = w * a[:, None], a * (b - _float64(bn.running_mean)) + _float64(bn.beta)
        dst.weight.set_data(mx.nd.array(w.astype(np.float32), ctx=context))
        dst.bias.set_data(mx.nd.array(b.astype(np.float32), ctx=context))
    return folded
