"""ONNX export of a trained run: raw 2D pixels (B, 32) in, root-relative 3D mm (B, 48) out, the
normalisation built in, the batch dimension free."""
import os
import tempfile

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from lib.files import atomic_path
from lib.model import LiftingNetwork


class WithNormalisation(nn.HybridBlock):
    """(x_px - mean2d) / std2d -> network -> * std3d + mean3d."""

    def __init__(self, net, stats, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        with self.name_scope():
            for key in ('mean2d', 'std2d', 'mean3d', 'std3d'):
                const = mx.nd.array(stats[key].reshape(1, -1).astype(np.float32))
                setattr(self, key, self.params.get_constant(key, const))

    def hybrid_forward(self, F, x, mean2d, std2d, mean3d, std3d):
        y = self.net(F.broadcast_div(F.broadcast_sub(x, mean2d), std2d))
        return F.broadcast_add(F.broadcast_mul(y, std3d), mean3d)


def plain_copy(net, net_cfg):
    """A LiftingNetwork without max-norm whose weights are the trained network's effective ones
    (max-norm folded into the weights), so that the export needs only standard operators."""
    plain = LiftingNetwork(num_joints=net_cfg.nJoints, linear_size=net_cfg.linear_size,
                           num_blocks=net_cfg.nResBlock, dropout=net_cfg.dropout,
                           bn_momentum=net_cfg.bn_momentum, bn_epsilon=net_cfg.bn_epsilon)
    plain.initialize(ctx=mx.cpu())
    for src, dst in zip(net.dense_layers(), plain.dense_layers()):
        w = src.weight.data(src.weight.list_ctx()[0]).as_in_context(mx.cpu())
        if net_cfg.max_norm:
            w = w * min(1.0, 1.0 / max(float(mx.nd.norm(w).asscalar()), 1e-12))
        dst.weight.set_data(w)
        dst.bias.set_data(src.bias.data(src.bias.list_ctx()[0]).as_in_context(mx.cpu()))
    for src, dst in zip(net.batchnorm_layers(), plain.batchnorm_layers()):
        for field in ('gamma', 'beta', 'running_mean', 'running_var'):
            p = getattr(src, field)
            getattr(dst, field).set_data(p.data(p.list_ctx()[0]).as_in_context(mx.cpu()))
    return plain


def export_onnx(net, net_cfg, stats, path):
    """Write the network with its normalisation as ONNX (opset of mxnet's exporter) at `path`,
    atomically. Input 'data' (batch, 32) float32 pixels; output (batch, 48) mm."""
    import onnx
    wrapped = WithNormalisation(plain_copy(net, net_cfg), stats)
    wrapped.initialize(ctx=mx.cpu())
    wrapped.hybridize()
    wrapped(mx.nd.zeros((1, 2 * net_cfg.nJoints)))
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, 'model')
        wrapped.export(prefix)
        sym, args, auxs = mx.model.load_checkpoint(prefix, 0)
        onnx_tmp = os.path.join(tmp, 'model.onnx')
        mx.onnx.export_model(sym, {**args, **auxs}, in_shapes=[(1, 2 * net_cfg.nJoints)],
                             in_types=[np.float32], onnx_file_path=onnx_tmp, dynamic=True,
                             dynamic_input_shapes=[(None, 2 * net_cfg.nJoints)])
        model = onnx.load(onnx_tmp)
    # The exporter lists the weights as graph inputs too; keep only the real input so that
    # runtimes treat the weights as constants.
    weights = {init.name for init in model.graph.initializer}
    keep = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    onnx.checker.check_model(model)
    with atomic_path(path) as tmp_path:
        onnx.save(model, tmp_path)
