"""Export a trained run to ONNX, with the normalisation built in.

    python export.py --model output/model/RUN/Model_epoch200.params --onnx model.onnx

The ONNX model takes 'data' (batch, 32) float32: the 16 input joints (Human3.6M order without
Neck/Nose) as u, v pixels; it returns (batch, 48): the 16 joints other than the pelvis, x, y, z
in mm, camera frame, relative to the pelvis. The batch size is free.
"""
import argparse
import logging
import os

import mxnet as mx

from lib import runs
from lib.cli import run
from lib.errors import PoseError
from lib.export import export_onnx
from lib.model import build_network

log = logging.getLogger('export')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--model', required=True, help='a .params file of a training run')
    parser.add_argument('--onnx', required=True, help='ONNX file to write')
    args = parser.parse_args()
    runs.setup_logging(None)
    cfg, stats = runs.load_run(args.model)
    if stats is None:
        raise PoseError('%s: a seed checkpoint has no statistics beside it; evaluate it with '
                        'test.py first or export a run of this project' % args.model)
    out_dir = os.path.dirname(os.path.abspath(args.onnx))
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        raise PoseError('--onnx %s: folder %s is missing or not writable' % (args.onnx, out_dir))
    net = build_network(cfg.NETWORK)
    runs.load_parameters(net, args.model, [mx.cpu()])
    export_onnx(net, cfg.NETWORK, stats, args.onnx)
    log.info('wrote %s (input data: (batch, 32) pixels; output: (batch, 48) mm)', args.onnx)
    return 0


if __name__ == '__main__':
    run(main)
