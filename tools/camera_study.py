"""How much a lifter loses when its 2D comes from another camera: Protocol #1 and #2 of trained
runs on held-out data, given (a) the camera's own pixels, (b) the same pixels rescaled to the
training distribution (infer.py's --rescale), and (c) the same 3D poses through another camera
(the focal length 1.31 times the camera's own, a 1920 x 1080 frame, the person far off centre:
principal point (1500, 250)), rescaled for a pixel-space model and as they are for a
camera-free one.

    .venv/bin/python tools/camera_study.py --dataset demo-data --model RUN_A/Model_epoch5.params \
        RUN_B/Model_epoch5.params [--subjects 9 11]
    .venv/bin/python tools/camera_study.py --dataset /path/to/mocap --cfg held_out.yaml \
        --model RUN_A/Model_epoch16.params RUN_B/Model_epoch16.params

The held-out data: Human3.6M's annotation folders of --subjects, or, with --cfg files that set
DATASET.source mocap, the test performers of a motion-capture folder (DATASET.mocap_test)
through the cameras of DATASET.mocap_cameras. Prints one table row per model and setting, with
the model's input space (NETWORK.input_space).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib.cli.interrupt  # noqa: E402,F401  (first of all: Ctrl-C while loading is one line)
from lib.cli.threads import use_available_cores  # noqa: E402
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import numpy as np  # noqa: E402

from config import default_config, load_configs  # noqa: E402
from lib.cli.options import parser_for, run  # noqa: E402
from lib.codec import rescale_to_training  # noqa: E402
from lib.core.errors import PoseError  # noqa: E402
from lib.data.arrays import VIEW  # noqa: E402
from lib.data.dataset import load_split, load_subjects  # noqa: E402
from lib.infer.lifter import Lifter, score  # noqa: E402

OTHER_CENTRE = np.array([1500.0, 250.0])
OTHER_ZOOM = 1.31


def view_focals(test):
    """Each frame's focal lengths (N, 2) px, fitted per view (subject, action, subaction,
    camera) from its 2D, 3D and principal point by least squares (the data hold no camera)."""
    ray = test['pose3d'][..., :2] / test['pose3d'][..., 2:3]          # (N, 17, 2)
    offset = test['pose2d'] - test['centre'][:, None]
    _, view = np.unique(test['ids'][:, VIEW], axis=0, return_inverse=True)
    num = np.stack([np.bincount(view, (ray[..., k] * offset[..., k]).sum(axis=1))
                    for k in range(2)], axis=1)
    den = np.stack([np.bincount(view, (ray[..., k] ** 2).sum(axis=1)) for k in range(2)], axis=1)
    return (num / den)[view]


def other_camera_pixels(test):
    """The test poses (camera frame, mm) through another camera: each view's focal length
    times OTHER_ZOOM, principal point OTHER_CENTRE."""
    focal = OTHER_ZOOM * view_focals(test)[:, None]
    xy = test['pose3d'][..., :2].astype(np.float64) / test['pose3d'][..., 2:3]
    return (xy * focal + OTHER_CENTRE).astype(np.float32)


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


def held_out(args):
    """The test arrays: Human3.6M's annotation folders of --subjects, or the test split of the
    --cfg files' DATASET section (a motion-capture folder's test performers)."""
    cfg = load_configs(args.cfg, default_config())
    if cfg.DATASET.source == 'mocap':
        return load_split(args.dataset, 'test', cfg.DATASET)
    if not args.subjects:
        raise PoseError('--subjects: give at least one')
    return load_subjects(args.dataset, args.subjects)


def main(argv=None):
    parser = parser_for(__doc__)
    parser.add_argument('--dataset', required=True,
                        help='annotation folders (annot/), or a motion-capture folder with --cfg')
    parser.add_argument('--model', required=True, nargs='+', help='.params files of runs')
    parser.add_argument('--subjects', type=int, nargs='+', default=[9, 11],
                        help='Human3.6M test subjects (default 9 11)')
    parser.add_argument('--cfg', action='append', default=[],
                        help='YAML over the defaults that says what the held-out data is (for a '
                             'motion-capture folder: DATASET.source mocap, mocap_test, '
                             'mocap_cameras); may be given several times')
    args = parser.parse_args(argv)
    test = held_out(args)
    other = other_camera_pixels(test)
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
