"""Prediction: the network's forward pass in inference mode, batched, from pixels to mm.

One module for evaluation (lib.eval.evaluation), inference (lib.infer.lifter, infer.py) and the benchmark.
Inputs are 2D poses (N, 17, 2) in pixels in Human3.6M order; outputs 3D poses (N, 17, 3) mm,
camera frame, relative to the pelvis, with the pelvis at 0.
"""
import mxnet as mx
import numpy as np

from lib.codec import (encode_inputs, flip_inputs, flip_targets, mirror_axis, normalize,
                       targets_to_pose, unnormalize)
from lib.core import h36m


def launch_forward(net, inputs, context, batch_size):
    """Queue the forward passes of every row of inputs (N, D) z-scored, in inference mode, the
    last partial batch included, and return their outputs (NDArrays, not waited for): MXNet
    computes them while the caller goes on."""
    return [net(mx.nd.array(inputs[start:start + batch_size], ctx=context))
            for start in range(0, len(inputs), batch_size)]


def predict(net, inputs, context, batch_size):
    """launch_forward, waited for: z-scored (N, in) -> (N, out) float32 numpy."""
    outputs = launch_forward(net, inputs, context, batch_size)
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    return mx.nd.concat(*outputs, dim=0).asnumpy()


def start_poses(net, pose2d, stats, context, batch_size, centre=None, flip=False, space='pixel'):
    """Queue the network on 2D poses (N, 17, 2) px encoded in input `space` (lib.codec), and on
    their mirror images when flip (about u = cx, centre (N, 2) the principal points, in the pixel
    space; about the pelvis in the camera-free one); returns the pending outputs for
    finish_poses."""
    inputs = encode_inputs(pose2d, space)
    pending = [launch_forward(net, normalize(inputs, stats['mean2d'], stats['std2d']), context,
                              batch_size)]
    if flip:
        mirrored = flip_inputs(inputs, mirror_axis(len(inputs), centre, space))
        pending.append(launch_forward(net, normalize(mirrored, stats['mean2d'], stats['std2d']),
                                      context, batch_size))
    return pending


def finish_poses(pending, stats):
    """Pending outputs of start_poses -> predicted 3D (N, 17, 3) mm float32, the root at 0; with
    a mirrored run, its prediction is mirrored back and the two are averaged."""
    targets = [unnormalize(mx.nd.concat(*outputs, dim=0).asnumpy(), stats['mean3d'],
                           stats['std3d']) for outputs in pending]
    if len(targets) == 2:
        targets = [(targets[0] + flip_targets(targets[1])) / 2]
    return targets_to_pose(targets[0].astype(np.float32))


def predict_poses(net, pose2d, stats, context, batch_size, centre=None, flip=False,
                  space='pixel'):
    """2D poses (N, 17, 2) pixels -> predicted 3D (N, 17, 3) mm, root-relative, root at 0.

    flip: also lift the mirror image (about u = cx, centre (N, 2) the principal points), mirror
    that prediction back, and average the two."""
    if len(pose2d) == 0:
        return np.zeros((0, h36m.NUM_JOINTS, 3), np.float32)
    return finish_poses(start_poses(net, pose2d, stats, context, batch_size, centre, flip, space),
                        stats)
