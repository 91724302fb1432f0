"""The residual MLP of Martinez et al. (2017) as a Gluon HybridBlock."""
from mxnet.gluon import nn


class ResidualBlock(nn.HybridBlock):
    """Two times (Linear, BatchNorm, ReLU, Dropout), plus the input: (B, width) -> (B, width)."""

    def __init__(self, width, dropout, bn_momentum, bn_epsilon, bn_global_stats=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.layers = nn.HybridSequential()
            for _ in range(2):
                self.layers.add(nn.Dense(width, in_units=width),
                                nn.BatchNorm(momentum=bn_momentum, epsilon=bn_epsilon,
                                             use_global_stats=bn_global_stats,
                                             in_channels=width),
                                nn.Activation('relu'),
                                nn.Dropout(dropout))

    def hybrid_forward(self, F, x):
        return x + self.layers(x)


class LiftingNetwork(nn.HybridBlock):
    """z-scored 2D joints (B, 2*J) -> z-scored root-relative 3D joints (B, 3*J)."""

    def __init__(self, num_joints=16, linear_size=1024, num_blocks=2, dropout=0.5,
                 bn_momentum=0.9, bn_epsilon=1e-5, bn_global_stats=False, **kwargs):
        """bn_global_stats: BatchNorm uses its running statistics in training too (frozen
        statistics, for fine-tuning with tiny batches and for exact multi-device checks)."""
        super().__init__(**kwargs)
        with self.name_scope():
            self.stem = nn.HybridSequential()
            self.stem.add(nn.Dense(linear_size, in_units=2 * num_joints),
                          nn.BatchNorm(momentum=bn_momentum, epsilon=bn_epsilon,
                                       use_global_stats=bn_global_stats,
                                       in_channels=linear_size),
                          nn.Activation('relu'),
                          nn.Dropout(dropout))
            self.blocks = nn.HybridSequential()
            for _ in range(num_blocks):
                self.blocks.add(ResidualBlock(linear_size, dropout, bn_momentum, bn_epsilon,
                                              bn_global_stats))
            self.head = nn.Dense(3 * num_joints, in_units=linear_size)

    def hybrid_forward(self, F, x):
        return self.head(self.blocks(self.stem(x)))


def build_network(net_cfg):
    """The network described by config section NETWORK (not yet initialised)."""
    return LiftingNetwork(num_joints=net_cfg.nJoints, linear_size=net_cfg.linear_size,
                          num_blocks=net_cfg.nResBlock, dropout=net_cfg.dropout,
                          bn_momentum=net_cfg.bn_momentum, bn_epsilon=net_cfg.bn_epsilon)
