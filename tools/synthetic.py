"""Write a synthetic Human3.6M set (lib.data.synthetic.generator) in any of the formats the loaders read.

    .venv/bin/python tools/synthetic.py DIR [--frames 200] [--seed 0] [--subjects 1 5 ...]
        [--formats annot,videopose3d,cdf,h5,orig] [--detections NAME]

Same seed, same files. `annot` is the seed's annotation folders; `orig` the original
3d-pose-baseline's h36m.zip layout (3D h5 files with the releases' irregular names, Stacked
Hourglass folders, cameras.h5); --detections adds simulated 2D detections as VideoPose3D's
data_2d_h36m_NAME.npz.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib.cli.interrupt  # noqa: E402,F401  (first of all: Ctrl-C while loading is one line)
import argparse  # noqa: E402

from lib.core import h36m  # noqa: E402
from lib.core.errors import PoseError  # noqa: E402
from lib.core.resources import DEFAULT_CAMERAS  # noqa: E402
from lib.data.synthetic.generator import FORMATS, generate  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out_dir', help='dataset root to write (annot/ goes inside)')
    parser.add_argument('--frames', type=int, default=200, help='frames per sequence')
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same files)')
    parser.add_argument('--subjects', type=int, nargs='+', default=list(h36m.SUBJECTS))
    parser.add_argument('--cameras', default=DEFAULT_CAMERAS, help='h36m_cameras.json')
    parser.add_argument('--formats', default='annot',
                        help='comma list of %s (default annot)' % ', '.join(FORMATS))
    parser.add_argument('--detections', default=None, metavar='NAME',
                        help='also write simulated 2D detections as data_2d_h36m_NAME.npz')
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error('--frames must be at least 1')
    formats = tuple(f.strip() for f in args.formats.split(',') if f.strip())
    if not formats or any(f not in FORMATS for f in formats):
        parser.error('--formats %s: expected a comma list of %s' % (args.formats, ', '.join(FORMATS)))
    bad = [s for s in args.subjects if s not in h36m.SUBJECTS]
    if bad:
        parser.error('--subjects: %s not among the Human3.6M subjects %s' % (bad, h36m.SUBJECTS))
    try:
        from tqdm import tqdm
        bar = lambda jobs: tqdm(jobs, desc='synthetic sequences', disable=not sys.stderr.isatty())
        n = generate(args.out_dir, args.frames, args.seed, args.subjects, args.cameras, bar,
                     formats, args.detections)
    except PoseError as e:
        print('error: %s' % e, file=sys.stderr)
        return 2
    print('wrote %d recordings x cameras of %d frames under %s in formats %s%s'
          % (n, args.frames, args.out_dir, ', '.join(formats),
             ' with detections data_2d_h36m_%s.npz' % args.detections if args.detections else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
