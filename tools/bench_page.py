"""Benchmark of the lift page (infer.py --html): its size and how fast it plays in a browser.

    .venv/bin/python tools/bench_page.py [--frames 1000] [--people 5] [--seconds 5]

Makes a lift of --people synthetic people walking for --frames frames (lib.data.synthetic, seen
by a Human3.6M camera), writes its page, opens it in Debian's chromium (headless, driven by
Playwright, WebGL by SwiftShader on the CPU) and plays it for --seconds: prints the page's size
against the few MB it may take and the frames drawn a second against the 30 it should keep.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

from lib.cli.options import parser_for, run  # noqa: E402
from lib.core import h36m  # noqa: E402
from lib.core.errors import PoseError  # noqa: E402
from lib.core.resources import DEFAULT_CAMERAS  # noqa: E402
from lib.data.arrays import camera_view  # noqa: E402
from lib.data.cameras import load_cameras  # noqa: E402
from lib.data.synthetic import sequence  # noqa: E402
from lib.infer.pipeline import LiftedPerson, LiftResult  # noqa: E402

CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run', '--use-angle=swiftshader',
                 '--enable-unsafe-swiftshader']
SIZE_GOAL_MB, FPS_GOAL = 5.0, 30.0


def crowd(frames, count):
    """A LiftResult of `count` synthetic people walking side by side for `frames` frames."""
    camera = load_cameras(DEFAULT_CAMERAS)[9][1]
    people = []
    for k in range(count):
        world = sequence(1 + k % 9, 14, 1, frames, k)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
        world = world + [1200.0 * (k - count / 2), 0.0, 0.0]
        pose3d, pose2d = camera_view(world, camera, False)
        people.append(LiftedPerson(k, np.arange(frames), pose2d, pose3d - pose3d[:, :1], {}, []))
    return LiftResult('array', 'h36m', list(range(frames)), [], people, False, {})


def main(argv=None):
    parser = parser_for(__doc__)
    parser.add_argument('--frames', type=int, default=1000)
    parser.add_argument('--people', type=int, default=5)
    parser.add_argument('--seconds', type=float, default=5.0)
    args = parser.parse_args(argv)
    if not (2 <= args.frames <= 100000 and 1 <= args.people <= 50 and 1 <= args.seconds <= 600):
        raise PoseError('--frames 2..100000, --people 1..50, --seconds 1..600')
    chromium = shutil.which('chromium')
    if not chromium:
        raise PoseError('chromium is not installed (Debian: apt-get install chromium)')
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, 'crowd.html')
        start = time.time()
        crowd(args.frames, args.people).to_html(path, image_size=(1000, 1000), fps=50.0)
        written = time.time() - start
        size = os.path.getsize(path) / 2 ** 20
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={'width': 1280, 'height': 720})
            start = time.time()
            page.goto('file://' + path)
            page.wait_for_function('document.body.dataset.ready === "1"', timeout=120000)
            loaded = time.time() - start
            page.evaluate('window.liftPage.setSpeed(4); window.liftPage.play()')
            page.wait_for_timeout(1000 * args.seconds)
            fps = page.evaluate('window.liftPage.fps')
            browser.close()
    print('page of %d frames x %d people: %.2f MB (goal: at most %.0f MB), written in %.1f s, '
          'loaded and drawn in %.1f s' % (args.frames, args.people, size, SIZE_GOAL_MB, written,
                                          loaded))
    print('playing: %.1f frames drawn a second (goal %.0f): ratio %.2f'
          % (fps, FPS_GOAL, fps / FPS_GOAL))
    return 0


if __name__ == '__main__':
    run(main)
