"""The animation of a lifted track: per frame the 2D input beside the 3D prediction, drawn with
Pillow line by line on a fixed canvas (a frame costs about a millisecond, where a Matplotlib 3D
figure cost 70), written as a GIF (or an .mp4 through ffmpeg).

Left: the 2D input (17, 2) in the detector's pixels, each frame fitted to its panel. Right: the
3D prediction (17, 3) mm, camera frame, seen from VIEW_AZIMUTH_DEG to the side and
VIEW_ELEVATION_DEG above, at one scale for the whole track, over a floor grid at the level of
its lowest foot. Left limbs red, right blue, as the other figures draw them.
"""
import os
import shutil
import subprocess

import numpy as np
from PIL import Image, ImageDraw

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path

SIZE = (640, 320)                   # the canvas: two square panels
VIEW_AZIMUTH_DEG, VIEW_ELEVATION_DEG = 35.0, 15.0
# Palette indices of a 'P' image: white, dark grey, red (left), blue (right), light grey.
PALETTE = [255, 255, 255, 68, 68, 68, 214, 39, 40, 31, 119, 180, 215, 215, 215]
WHITE, CENTRE, LEFT, RIGHT, GRID = range(5)


def _colour(child):
    return LEFT if child in h36m.LEFT_JOINTS else RIGHT if child in h36m.RIGHT_JOINTS else CENTRE


def view_rotation():
    """(3, 3): camera-frame mm (x right, y down, z forward) -> the view's (right, down, depth)."""
    a, e = np.radians(VIEW_AZIMUTH_DEG), np.radians(VIEW_ELEVATION_DEG)
    turn = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(e), np.sin(e)], [0, -np.sin(e), np.cos(e)]])
    return tilt @ turn


def panel_3d(pred3d):
    """The right panel's pixels of every frame: (F, 17, 2), and the floor grid's segments
    (G, 2, 2), at one scale for the whole track (its largest extent fills 80 % of the panel)."""
    rotation = view_rotation()
    pose = (np.asarray(pred3d, np.float64) - pred3d[:, :1]) @ rotation.T
    floor = np.max(np.asarray(pred3d)[..., 1] - pred3d[:, :1, 1])     # the lowest foot, mm
    half = max(np.abs(pose[..., :2]).max(), 1.0) / 0.8
    side = SIZE[1]
    scale = side / 2 / half
    centre = np.array([side / 2, side / 2])
    ticks = np.linspace(-1000, 1000, 5)
    lines = [np.array([[t, floor, -1000], [t, floor, 1000]]) for t in ticks]
    lines += [np.array([[-1000, floor, t], [1000, floor, t]]) for t in ticks]
    grid = np.array([(line @ rotation.T)[:, :2] * scale + centre for line in lines])
    return pose[..., :2] * scale + centre, grid


def panel_2d(pose2d):
    """The left panel's pixels of every frame (F, 17, 2): each frame's input joints fitted to
    the panel, centred, with a margin."""
    pose2d = np.asarray(pose2d, np.float64)
    shown = pose2d[:, list(h36m.INPUT_JOINTS)]
    low, high = shown.min(axis=1), shown.max(axis=1)
    half = 0.6 * np.max(high - low, axis=1) + 1.0                       # (F,)
    scale = SIZE[1] / 2 / half
    return (pose2d - ((low + high) / 2)[:, None]) * scale[:, None, None] + SIZE[1] / 2


def _background(grid):
    """The canvas every frame starts from: the two panels' frames, the 3D panel's floor grid
    and its title (drawn once: text is the costliest thing to draw)."""
    image = Image.new('P', SIZE, WHITE)
    image.putpalette(PALETTE)
    draw = ImageDraw.Draw(image)
    draw.line([(SIZE[1], 0), (SIZE[1], SIZE[1])], fill=GRID)
    for segment in grid:
        draw.line([tuple(p) for p in segment], fill=GRID)
    draw.rectangle([(0, 0), (SIZE[1] - 1, SIZE[1] - 1)], fill=WHITE)     # the grid stays right
    draw.text((SIZE[1] + 6, 4), 'predicted 3D', fill=CENTRE)
    return image


def render_frames(pose2d, pred3d, labels):
    """Yield one 'P' Image a frame: the two panels side by side, the frame's label on the 2D."""
    left, (right, grid) = panel_2d(pose2d), panel_3d(pred3d)
    background = _background(grid + [SIZE[1] + 1, 0])
    for i, label in enumerate(labels):
        image = background.copy()
        draw = ImageDraw.Draw(image)
        panels = ((left[i], h36m.BONES_2D), (right[i] + [SIZE[1] + 1, 0], h36m.BONES))
        for points, bones in panels:
            for parent, child in bones:
                draw.line([tuple(points[parent]), tuple(points[child])], fill=_colour(child),
                          width=3)
        draw.text((6, 4), '%s: 2D input' % label, fill=CENTRE)
        yield image


def save_animation(pose2d, pred3d, labels, path, fps=10, progress=None):
    """A track as an animation: per frame the 2D input (F, 17, 2) px beside the predicted 3D
    (F, 17, 3) mm, labels F strings. `path` ends in .gif (Pillow) or .mp4 (ffmpeg, which must
    be installed); `progress` (a tqdm-like bar) moves a frame at a time. Written under a
    temporary name and renamed."""
    frames = render_frames(pose2d, pred3d, labels)
    suffix = '.tmp' + os.path.splitext(path)[1]
    with atomic_path(path, suffix) as tmp:
        if path.endswith('.mp4'):
            _write_mp4(frames, tmp, fps, progress)
        else:
            first = next(frames)
            rest = list(_counted(frames, progress))
            # disposal 1: each frame is drawn over the last, which Pillow then stores as the
            # part that changed (smaller and faster to write than whole frames).
            first.save(tmp, format='GIF', save_all=True, append_images=rest,
                       duration=int(round(1000 / fps)), loop=0, disposal=1)
            if progress is not None:
                progress.update(1)


def _counted(frames, progress):
    for frame in frames:
        if progress is not None:
            progress.update(1)
        yield frame


def _write_mp4(frames, path, fps, progress):
    """Frames piped to ffmpeg as raw RGB, encoded as H.264."""
    if not shutil.which('ffmpeg'):
        raise PoseError('%s: .mp4 needs ffmpeg, which is not installed; use .gif' % path)
    command = ['ffmpeg', '-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24',
               '-s', '%dx%d' % SIZE, '-r', str(fps), '-i', '-', '-pix_fmt', 'yuv420p',
               '-f', 'mp4', path]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as encoder:
        for frame in _counted(frames, progress):
            encoder.stdin.write(frame.convert('RGB').tobytes())
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise OSError('ffmpeg failed to write %s' % path)
