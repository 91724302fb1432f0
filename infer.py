"""Lift 2D keypoints of real detectors (COCO, OpenPose, AlphaPose, mmpose, MediaPipe) to 3D.

    python infer.py --input FILE_OR_FOLDER --output poses3d.json [--model RUN/Model_epochN.params] \
        [--format auto] [--person all|best] [--smooth SIGMA] [--figures DIR] \
        [--animation track.gif] [--onnx model.onnx]

Without --model it lifts with the model that ships with the project (models/mocap_camera_free:
camera-free, trained on CMU and HDM05 motion capture; its README is the model card).

The file's kind and keypoint layout are recognised from its content (doc/inference.md);
--format names the layout when the file cannot. Frames are put in the natural
order of their image ids or file names, people are tracked across frames, missing joints are
filled, and each person's poses are lifted to 17 joints in mm (camera frame, pelvis at 0).
Writes the JSON and, beside it, <output stem>_3d.npy (people, frames, 17, 3), NaN where a
person is absent or a frame was left out.
"""
import lib.cli.interrupt  # noqa: F401  (first of all: Ctrl-C while loading is one line)
from config import default_config
from lib.cli.threads import use_available_cores
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import logging
import os
import shutil

import numpy as np

from lib.cli.options import base_parser, contexts_from_arg, run, setup_logging
from lib.core.errors import PoseError
from lib.core.files import atomic_path, check_output, write_json
from lib.core.progress import progress
from lib.core.resources import SHIPPED_MODEL
from lib.eval.animation import save_animation
from lib.eval.figures import lift_figure, save_figure
from lib.infer.lifter import Lifter
from lib.infer.options import LiftOptions, add_arguments
from lib.infer.pipeline import lift_file
from lib.model.onnx import export_onnx
from lib.model.run_files import refuse_run_file

log = logging.getLogger('infer')


def parse_args(argv=None):
    parser = base_parser(__doc__, dataset=False)
    parser.add_argument('--model', help='a .params file of a training run (default: the '
                        'shipped model, models/mocap_camera_free/model.params)')
    parser.add_argument('--input', required=True,
                        help='keypoint file (JSON or .npy), or an OpenPose output folder')
    parser.add_argument('--output', required=True,
                        help='JSON file to write; <stem>_3d.npy is written beside it')
    add_arguments(parser)
    parser.add_argument('--figures', default=None, metavar='DIR',
                        help='draw frames (2D input in the detector\'s pixels beside the 3D '
                             'prediction) into DIR')
    parser.add_argument('--images', default=None, metavar='DIR',
                        help='folder of the frames\' images, to draw the 2D on them')
    parser.add_argument('--max-figures', type=int, default=50, help='at most this many figures')
    parser.add_argument('--animation', default=None, metavar='FILE',
                        help='render a track as .gif (or .mp4 when ffmpeg is present): the '
                             'longest, or the one of --animation-person')
    parser.add_argument('--animation-person', default=None, metavar='ID',
                        help='the person (track id, as in the output JSON) to animate')
    parser.add_argument('--bvh', default=None, metavar='FILE',
                        help='write each lifted track as a BVH animation for 3D tools (Y up, cm, '
                             'a T-pose rest): the longest track to FILE, every other one to '
                             '<stem>_person<id>.bvh beside it (doc/inference.md)')
    parser.add_argument('--fps', type=float, default=30.0,
                        help='frames a second of the input, for the BVH\'s frame time (default '
                             '30: detector files say none)')
    parser.add_argument('--root-motion', action='store_true',
                        help='the BVH\'s root follows the pelvis across the image (depth from the '
                             'person\'s size under a focal length of the image\'s longer side; '
                             '--image-size, else the keypoints\' extent); default: in place')
    parser.add_argument('--html', default=None, metavar='FILE',
                        help='one self-contained page to turn, play and step every person\'s 3D '
                             'in a browser, beside the 2D input (doc/inference.md)')
    parser.add_argument('--onnx', default=None,
                        help='also export the model to this ONNX file (with the rescaling when '
                             'it is used)')
    return parser.parse_args(argv)


def check_options(args):
    """Ranges and paths, before anything is read or written: no output may be an input."""
    args.model = args.model or SHIPPED_MODEL
    args.options = LiftOptions.from_args(args)
    if args.max_figures < 0:
        raise PoseError('--max-figures %d: expected a number >= 0' % args.max_figures)
    if not args.output.endswith('.json'):
        raise PoseError('--output %s: expected a .json file name (the .npy goes beside it)'
                        % args.output)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise PoseError('--output %s: folder %s does not exist' % (args.output, out_dir))
    if args.html and not args.html.endswith(('.html', '.htm')):
        raise PoseError('--html %s: expected a .html file name' % args.html)
    if args.bvh and not args.bvh.endswith('.bvh'):
        raise PoseError('--bvh %s: expected a .bvh file name' % args.bvh)
    if not 1 <= args.fps <= 1000:
        raise PoseError('--fps %g: expected frames a second in [1, 1000]' % args.fps)
    if args.animation and not args.animation.endswith(('.gif', '.mp4')):
        raise PoseError('--animation %s: expected a .gif or .mp4 file name' % args.animation)
    if args.animation and args.animation.endswith('.mp4') and not shutil.which('ffmpeg'):
        raise PoseError('--animation %s: .mp4 needs ffmpeg, which is not installed; use .gif'
                        % args.animation)
    if args.figures and os.path.exists(args.figures) and not os.path.isdir(args.figures):
        raise PoseError('--figures %s: exists and is not a folder' % args.figures)
    if args.images and not os.path.isdir(args.images):
        raise PoseError('--images %s: no such folder' % args.images)
    inputs = {os.path.realpath(p) for p in (args.input, args.model) if p}
    for option, path in (('--output', args.output), ('--output', npy_path(args.output)),
                         ('--onnx', args.onnx), ('--animation', args.animation),
                         ('--bvh', args.bvh), ('--html', args.html),
                         ('--figures', args.figures)):
        if path and os.path.realpath(path) in inputs:
            raise PoseError('%s %s: would overwrite an input file' % (option, path))
        if path and option != '--figures':
            check_output(path, option)
            refuse_run_file(option, path)


def npy_path(output):
    return output[:-len('.json')] + '_3d.npy'


def write_outputs(args, result):
    """The JSON and the (people, frames, 17, 3) .npy of a LiftResult."""
    write_json(result.to_json(model=args.model, input=args.input), args.output, indent=None)
    with atomic_path(npy_path(args.output), '.tmp.npy') as tmp:
        np.save(tmp, result.stacked())
    lifted = sum(len(p.rows) for p in result.people)
    left = sum(len(p.left_out) for p in result.people)
    log.info('%d person(s) over %d image(s): %d person-frames lifted, %d left out, %d image(s) '
             'without a person; wrote %s and %s (people, frames, 17, 3)', len(result.people),
             len(result.labels), lifted, left, len(result.empty), args.output,
             npy_path(args.output))


def find_image(folder, label):
    """The image of a frame in `folder`: the file named by the label, or whose name without
    extension is the label (an OpenPose '<name>_keypoints.json' label gives '<name>')."""
    if folder is None:
        return None
    stem = str(label).replace('_keypoints.json', '')
    for name in sorted(os.listdir(folder)):
        if name == str(label) or os.path.splitext(name)[0] in (str(label), stem):
            import matplotlib.image
            try:
                return matplotlib.image.imread(os.path.join(folder, name))
            except (OSError, ValueError, SyntaxError):
                raise PoseError('%s: not a readable image' % os.path.join(folder, name))
    return None


def spread_figures(result, count):
    """Up to `count` (person, index into its frames) spread evenly over the whole video and
    every person (in the order of the frames)."""
    pairs = sorted(((int(r), k, i) for k, p in enumerate(result.people)
                    for i, r in enumerate(p.rows)))
    if len(pairs) > count:
        pairs = [pairs[int(j)] for j in np.linspace(0, len(pairs) - 1, count).round()]
    return [(result.people[k], i) for _, k, i in pairs]


def animated_person(args, result):
    """The person --animation draws: --animation-person's, else the one with most frames."""
    if args.animation_person is None:
        person = max(result.people, key=lambda p: len(p.rows))
    else:
        match = [p for p in result.people if str(p.id) == args.animation_person]
        if not match:
            raise PoseError('--animation-person %s: no such person (ids: %s)' % (
                args.animation_person, ', '.join(str(p.id) for p in result.people[:20])))
        person = match[0]
    if not len(person.rows):
        raise PoseError('--animation: no frame of person %s could be lifted' % person.id)
    return person


def draw(args, result, animated):
    """--figures (frames spread over every person and the whole video, up to --max-figures)
    and --animation (one person's track, with a progress bar)."""
    labels = result.labels
    if args.figures:
        os.makedirs(args.figures, exist_ok=True)
        chosen = spread_figures(result, args.max_figures)
        for person, i in chosen:
            r = person.rows[i]
            fig = lift_figure(person.pose2d[i], person.pose3d[i], 'person %s, image %s'
                              % (person.id, labels[r]), find_image(args.images, labels[r]))
            save_figure(fig, os.path.join(args.figures, 'person%s_frame%05d.png'
                                          % (person.id, r)))
        log.info('wrote %d figure(s) into %s', len(chosen), args.figures)
    if animated is not None:
        person = animated
        bar = progress(total=len(person.rows), desc='animation', unit='frame')
        save_animation(person.pose2d, person.pose3d, ['image %s' % labels[r] for r in person.rows],
                       args.animation, progress=bar)
        bar.close()
        log.info('wrote %s (person %s, %d frames)', args.animation, person.id, len(person.rows))


def write_bvh_files(args, result):
    """--bvh: every track as BVH, each file checked like any output before it is written."""
    inputs = {os.path.realpath(p) for p in (args.input, args.model)}
    for path in result.bvh_paths(args.bvh).values():
        if os.path.realpath(path) in inputs:
            raise PoseError('--bvh %s: %s would overwrite an input file' % (args.bvh, path))
        check_output(path, '--bvh')
    written = result.to_bvh(args.bvh, args.fps, args.root_motion, args.image_size)
    for person, (path, raw, smooth) in written.items():
        log.info('wrote %s (person %s, %d frames at %g fps, root %s): mean joint acceleration '
                 '%.2f mm/frame^2, against %.2f for the raw lift', path, person,
                 len(result.labels), args.fps, 'moving' if args.root_motion else 'in place',
                 smooth, raw)


def main(argv=None):
    args = parse_args(argv)
    setup_logging(None, args.debug)
    check_options(args)
    lifter = Lifter.load(args.model, contexts_from_arg(args.gpu)[0], args.cfg,
                         defaults=default_config())
    log.info('model %s (%s input)', args.model, lifter.space)
    result = lift_file(lifter, args.input, args.options)
    animated = animated_person(args, result) if args.animation else None     # checked first
    write_outputs(args, result)
    draw(args, result, animated)
    if args.bvh:
        write_bvh_files(args, result)
    if args.html:
        result.to_html(args.html, os.path.basename(args.input), args.image_size, args.fps)
        log.info('wrote %s', args.html)
    if args.onnx:
        export_onnx(lifter.trained, lifter.stats, args.onnx, result.rescaled, lifter.space)
        log.info('wrote %s%s', args.onnx, ' (with the rescaling)' if result.rescaled else '')
    return 0


if __name__ == '__main__':
    run(main)
