"""How much a lifter loses when its 2D comes from another camera: Protocol #1 and #2 of trained
runs on the test subjects, given (a) the camera's own pixels, (b) the same pixels rescaled to
the training distribution (infer.py's --rescale), and (c) the same 3D poses through another
camera (the focal length 1.31 times the camera's own, a 1920 x 1080 frame, the person far off
centre: principal point (1500, 250)), rescaled for a pixel-space model and as they are for a
camera-free one.

    .venv/bin/python tools/camera_study.py --dataset demo-data --model RUN_A/Model_epoch5.params \
        RUN_B/Model_epoch5.params [--subjects 9 11]

Prints one table row per model and setting, with the model's input space (NETWORK.input_space).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib.cli.interrupt  # noqa: E402,F401  (first of all: Ctrl-C while loading is one line)
from lib.cli.threads import use_available_cores  # noqa: E402
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import numpy as np  # noqa: E402

from config import default_config  # noqa: E402
from lib.cli.options import parser_for, run  # noqa: E402
from lib.codec import rescale_to_training  # noqa: E402
from lib.core.errors import PoseError  # noqa: E402
from lib.data.cameras import project  # noqa: E402
from lib.data.dataset import load_subjects  # noqa: E402
from lib.infer.lifter import Lifter, score  # noqa: E402

OTHER_CENTRE = np.array([1500.0, 250.0])
OTHER_ZOOM = 1.31


def other_camera_pixels(test, focal_by_camera):
    """The test poses (camera frame, mm) through the other camera of each frame's own camera."""
    out = np.empty_like(test['pose2d'])
    for camera, focal in focal_by_camera.items():
        rows = test['ids'][:, 3] == camera
        out[rows] = project(test['pose3d'][rows].astype(np.float64), OTHER_ZOOM * focal,
                            OTHER_CENTRE)
    return out


def camera_focals(dataset, subject):
    """Each camera's focal lengths (2,) of one subject's annotation folders."""
    from lib.data.annotation import annotation_path, folder_name, parse_annotation
    return {c: parse_annotation(annotation_path(dataset, folder_name(subject, 2, 1, c)))['f']
            for c in (1, 2, 3, 4)}


def study(lifter, test, other):
    """{setting: (Protocol #1 Average, Protocol #2 Average)} of one model."""
    rows = {}
    inputs = {'(a) own pixels': test['pose2d'],
              '(b) own pixels, rescaled': rescale_to_training(test['pose2d'],
                                                              lifter.stats['mean2d']),
              '(c) another camera': other if lifter.space == 'camera_free'
              else rescale_to_training(other, lifter.stats['mean2d'])}
    for name, pose2d in inputs.items():
        if lifter.space == 'camera_free' and name.startswith('(b)'):
            continue                       # rescaling is moot for a camera-free model
        result = score(lifter.predict(pose2d.astype(np.float32)), test['pose3d'], test['ids'])
        rows[name] = (result['protocol1']['Average'], result['protocol2']['Average'])
    return rows


def main():
    parser = parser_for(__doc__)
    parser.add_argument('--dataset', required=True, help='annotation folders (annot/)')
    parser.add_argument('--model', required=True, nargs='+', help='.params files of runs')
    parser.add_argument('--subjects', type=int, nargs='+', default=[9, 11])
    args = parser.parse_args()
    if not args.subjects:
        raise PoseError('--subjects: give at least one')
    test = load_subjects(args.dataset, args.subjects)
    other = np.concatenate([other_camera_pixels(
        {k: v[test['ids'][:, 0] == s] for k, v in test.items() if k in ('pose2d', 'pose3d', 'ids')},
        camera_focals(args.dataset, s)) for s in args.subjects])
    order = np.concatenate([np.flatnonzero(test['ids'][:, 0] == s) for s in args.subjects])
    test = {k: test[k][order] for k in ('pose2d', 'pose3d', 'ids')}
    print('| model | input space | 2D given | Protocol #1 (mm) | Protocol #2 (mm) |')
    print('|---|---|---|---:|---:|')
    for model in args.model:
        lifter = Lifter.load(model, defaults=default_config())
        for name, (p1, p2) in study(lifter, test, other).items():
            print('| %s | %s | %s | %.1f | %.1f |' % (os.path.basename(os.path.dirname(model)),
                                                    lifter.space, name, p1, p2))
    return 0


if __name__ == '__main__':
    run(main)
