"""Export a trained run to ONNX, with the normalisation built in.

    python export.py --onnx model.onnx [--model output/model/RUN/Model_epoch200.params] [--rescale]

Without --model it exports the model that ships with the project (models/mocap_camera_free).

The ONNX model takes 'data' (batch, 32) float32: the 16 input joints (Human3.6M order without
Neck/Nose) as u, v pixels; it returns (batch, 48): the 16 joints other than the pelvis, x, y, z
in mm, camera frame, relative to the pelvis. The batch size is free. With --rescale it first
moves and scales each pose into the training set's pixel scale as infer.py does for detector
output, so that raw detector pixels give infer.py's numbers.
"""
import lib.cli.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
from config import default_config
from lib.cli.threads import use_available_cores
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import logging
import os

from lib.cli.options import parser_for, run, setup_logging
from lib.core.errors import PoseError
from lib.core.files import check_output
from lib.core.resources import SHIPPED_MODEL
from lib.infer.lifter import Lifter
from lib.model.onnx import export_onnx
from lib.model.run_files import refuse_run_file

log = logging.getLogger('export')


def main(argv=None):
    parser = parser_for(__doc__)
    parser.add_argument('--model', default=None,
                        help='a .params file of a training run (default: the shipped model, '
                             'models/mocap_camera_free/model.params)')
    parser.add_argument('--onnx', required=True, help='ONNX file to write (ending in .onnx)')
    parser.add_argument('--rescale', action='store_true',
                        help='build in infer.py\'s rescaling of detector pixels to the training '
                             'scale')
    args = parser.parse_args(argv)
    args.model = args.model or SHIPPED_MODEL
    setup_logging(None)
    if not args.onnx.endswith('.onnx'):
        raise PoseError('--onnx %s: expected a file name ending in .onnx' % args.onnx)
    if os.path.exists(args.onnx) and os.path.samefile(args.onnx, args.model):
        raise PoseError('--onnx %s: is the model itself; choose another file' % args.onnx)
    check_output(args.onnx, '--onnx')
    refuse_run_file('--onnx', args.onnx)
    out_dir = os.path.dirname(os.path.abspath(args.onnx))
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        raise PoseError('--onnx %s: folder %s is missing or not writable' % (args.onnx, out_dir))
    lifter = Lifter.load(args.model, defaults=default_config())
    export_onnx(lifter.trained, lifter.stats, args.onnx, args.rescale, lifter.space)
    log.info('wrote %s (input data: (batch, 32) pixels%s; output: (batch, 48) mm)', args.onnx,
             ', rescaled inside' if args.rescale else '')
    return 0


if __name__ == '__main__':
    run(main)
