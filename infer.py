"""Lift your own 2D keypoints to 3D with a trained run.

    python infer.py --model output/model/RUN/Model_epoch200.params \
        --input keypoints.json --format coco --output poses3d.json [--figures DIR] [--onnx model.onnx]

Formats (--format): h36m (Human3.6M 17-joint order, JSON or .npy), coco (COCO keypoint results
JSON, 17 keypoints), body25 (an OpenPose folder of *_keypoints.json, BODY_25). Writes the 3D
poses (17 joints, the pelvis at 0, mm, camera frame) as JSON and as .npy beside it.
"""
import json
import logging
import os

import numpy as np

from lib import h36m, runs
from lib.cli import base_parser, contexts_from_arg, run
from lib.errors import PoseError
from lib.evaluation import predict_poses
from lib.export import export_onnx
from lib.files import atomic_path
from lib.figures import lift_figure, save_figure
from lib.keypoints import FORMATS, fill_low_confidence, read_keypoints, rescale_to_training
from lib.model import build_network
from lib.report import write_text

log = logging.getLogger('infer')


def parse_args():
    parser = base_parser(__doc__.split('\n')[1], dataset=False)
    parser.add_argument('--model', required=True, help='a .params file of a training run')
    parser.add_argument('--input', required=True, help='keypoint file, or folder for body25')
    parser.add_argument('--format', choices=FORMATS, default='h36m', help='input layout')
    parser.add_argument('--output', required=True, help='JSON file to write (.npy beside it)')
    parser.add_argument('--min-confidence', type=float, default=0.1,
                        help='keypoints below this confidence are missing (default 0.1)')
    parser.add_argument('--missing', choices=('error', 'previous'), default='error',
                        help='a missing keypoint is an error, or is filled from the previous frame')
    parser.add_argument('--rescale', choices=('auto', 'yes', 'no'), default='auto',
                        help='centre and scale the 2D to the training distribution (auto: yes '
                             'for coco and body25, no for h36m)')
    parser.add_argument('--figures', default=None, metavar='DIR',
                        help='draw each frame (2D input beside the 3D prediction) into DIR')
    parser.add_argument('--max-figures', type=int, default=50, help='at most this many figures')
    parser.add_argument('--onnx', default=None, help='also export the model to this ONNX file')
    return parser.parse_args()


def main():
    args = parse_args()
    runs.setup_logging(None, args.debug)
    cfg, stats = runs.load_run(args.model, args.cfg)
    if stats is None:
        raise PoseError('%s: a seed checkpoint has no statistics beside it; infer.py needs a '
                        'run of this project' % args.model)
    contexts = contexts_from_arg(args.gpu)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise PoseError('--output %s: folder %s does not exist' % (args.output, out_dir))
    tracks = read_keypoints(args.input, args.format)
    rescale = args.rescale == 'yes' or (args.rescale == 'auto' and args.format != 'h36m')
    net = build_network(cfg.NETWORK)
    runs.load_parameters(net, args.model, contexts[:1])
    if cfg.NETWORK.hybrid:
        net.hybridize(static_alloc=True, static_shape=True)

    people, inputs2d = [], []
    for k, track in enumerate(tracks):
        pose2d = fill_low_confidence(track, args.min_confidence, args.missing,
                                     '%s person %d' % (args.input, k))
        if rescale:
            pose2d = rescale_to_training(pose2d, stats['mean2d'])
        pred = predict_poses(net, pose2d.astype(np.float32), stats, contexts[0],
                             cfg.TEST.batchsize)
        people.append({'person': k, 'frames': track['frames'].tolist(),
                       'poses3d': np.round(pred, 3).tolist()})
        inputs2d.append((pose2d, pred))
    num_frames = 1 + max(int(t['frames'].max()) for t in tracks)
    stacked = np.full((len(tracks), num_frames, 17, 3), np.nan)
    for k, track in enumerate(tracks):
        stacked[k, track['frames']] = inputs2d[k][1]
    result = {'model': args.model, 'input': args.input, 'format': args.format,
              'rescaled_2d': rescale, 'units': 'mm',
              'coordinates': 'camera frame (x right, y down, z forward), relative to the pelvis '
                             '(Hip at 0)',
              'joint_names': list(h36m.JOINT_NAMES), 'people': people,
              'frames_without_person': tracks[0].get('empty_frames', [])}
    if result['frames_without_person']:
        log.warning('%d input frame(s) hold no person: %s', len(result['frames_without_person']),
                    ', '.join(result['frames_without_person'][:5]))
    write_text(json.dumps(result), args.output)
    npy = os.path.splitext(args.output)[0] + '.npy'
    with atomic_path(npy, '.tmp.npy') as tmp:
        np.save(tmp, stacked)
    log.info('lifted %d person(s) over %d frame(s): wrote %s and %s (people, frames, 17, 3)',
             len(tracks), num_frames, args.output, npy)
    if args.figures:
        os.makedirs(args.figures, exist_ok=True)
        count = 0
        for k, track in enumerate(tracks):
            for i, frame in enumerate(track['frames']):
                if count >= args.max_figures:
                    break
                fig = lift_figure(inputs2d[k][0][i], inputs2d[k][1][i],
                                  'person %d, frame %d' % (k, frame))
                save_figure(fig, os.path.join(args.figures, 'person%d_frame%05d.png' % (k, frame)))
                count += 1
        log.info('wrote %d figure(s) into %s', count, args.figures)
    if args.onnx:
        export_onnx(net, cfg.NETWORK, stats, args.onnx)
        log.info('wrote %s', args.onnx)
    return 0


if __name__ == '__main__':
    run(main)
