"""ONNX export of a trained run: raw 2D pixels (B, 32) in, root-relative 3D mm (B, 48) out, the
normalisation built in (and, as an option, infer.py's rescaling of detector pixels to the
training scale), the batch dimension free."""
import os
import tempfile

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from lib.codec import frame_constants
from lib.core import h36m
from lib.core.files import atomic_path
from lib.model.network import fold_batchnorm


class WithNormalisation(nn.HybridBlock):
    """[rescale ->] (x_px - mean2d) / std2d -> network -> * std3d + mean3d.

    rescale: first move each pose's pelvis onto the training mean pose's and scale it so that
    the RMS distance of its joints from their centroid is the mean pose's, as
    lib.codec.rescale_to_training does for infer.py (the matrices of
    lib.codec.frame_constants)."""

    def __init__(self, net, stats, rescale=False, space='pixel', **kwargs):
        super().__init__(**kwargs)
        self.net, self.rescale = net, rescale
        consts = {key: stats[key].reshape(1, -1) for key in ('mean2d', 'std2d', 'mean3d', 'std3d')}
        consts.update(frame_constants(stats['mean2d'], space))
        with self.name_scope():
            for key, value in consts.items():
                const = mx.nd.array(value.astype(np.float32))
                setattr(self, key, self.params.get_constant(key, const))

    def hybrid_forward(self, F, x, mean2d, std2d, mean3d, std3d, centre, to_root, per_joint,
                       mean_root, mean_spread):
        if self.rescale:
            spread = F.sqrt(F.dot(F.square(F.dot(x, centre)), per_joint))        # (B, 1) px
            scale = F.broadcast_div(mean_spread, F.maximum(spread, 1e-6))
            moved = F.broadcast_mul(x - F.dot(x, to_root), scale)
            x = F.broadcast_add(moved, mean_root)
        y = self.net(F.broadcast_div(F.broadcast_sub(x, mean2d), std2d))
        return F.broadcast_add(F.broadcast_mul(y, std3d), mean3d)


def export_onnx(net, stats, path, rescale=False, space='pixel'):
    """Write the trained LiftingNetwork `net` with its normalisation (and infer.py's rescaling
    when `rescale`; for a camera-free model (`space`), always its encoding, which any camera's
    pixels go through) as ONNX (opset of mxnet's exporter) at `path`, atomically. Input 'data'
    (batch, 32) float32 pixels; output (batch, 48) mm. The network goes in folded
    (lib.model.fold_batchnorm): Linear and ReLU only, max-norm and BatchNorm in the weights."""
    import onnx
    wrapped = WithNormalisation(fold_batchnorm(net, mx.cpu()), stats,
                                rescale or space == 'camera_free', space)
    wrapped.params.initialize(ctx=mx.cpu())      # its constants; the network is set already
    wrapped.hybridize()
    wrapped(mx.nd.zeros((1, h36m.INPUT_SIZE)))
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, 'model')
        wrapped.export(prefix)
        sym, args, auxs = mx.model.load_checkpoint(prefix, 0)
        onnx_tmp = os.path.join(tmp, 'model.onnx')
        mx.onnx.export_model(sym, {**args, **auxs}, in_shapes=[(1, h36m.INPUT_SIZE)],
                             in_types=[np.float32], onnx_file_path=onnx_tmp, dynamic=True,
                             dynamic_input_shapes=[(None, h36m.INPUT_SIZE)])
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
