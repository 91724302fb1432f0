"""A lifted keypoint file as one page to look at in a browser (infer.py --html,
LiftResult.to_html; lib.eval.pages writes it): every person in one scene where the camera saw
them, the 2D input beside, the people listed, the frames left out shown with their reasons.

Placing people in one scene needs where each stood, which a lift relative to the pelvis does
not say: each person's pelvis is put where its 2D track and its size in the image put it under
the focal length lib.infer.bvh_export assumes (root_path), the scene turned so that the people's
median trunk stands up (level_rotation), its floor under the lowest foot.
"""
import numpy as np

from lib.core import h36m
from lib.eval.pages import encode, skeleton_info, write_page
from lib.infer.bvh_export import filled, level_rotation, root_path

# The arrays' int16 steps: 2 mm (up to 65 m from the camera) and half a pixel (up to 16,383).
MM_SCALE, PX_SCALE = 0.5, 2.0
# The people's colours in the page's list and its strip of frames.
PALETTE = ('#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf',
           '#bcbd22', '#7f7f7f', '#d62728')


def image_extent(result, image_size):
    """(W, H) px: the image's size, or the keypoints' extent when the file does not say it."""
    if image_size is not None:
        return np.asarray(image_size, np.float64)
    seen = [p.pose2d.reshape(-1, 2) for p in result.people if len(p.rows)]
    return np.ceil(np.max(np.concatenate(seen), axis=0) / 10) * 10


def placed_people(result, extent):
    """[(person, world poses (F, 17, 3) mm with NaN where not lifted)], the camera's place and
    forward direction in the scene: the people where root_path puts them, level_rotation over
    all of them, the floor (Y = 0) under the lowest foot."""
    frames = len(result.labels)
    lifted = [p for p in result.people if len(p.rows)]
    turn = level_rotation(np.concatenate([p.pose3d for p in lifted]))
    placed = []
    for person in lifted:
        root = root_path(filled(person.pose2d, person.rows, frames),
                         filled(person.pose3d, person.rows, frames), extent)
        world = np.full((frames, h36m.NUM_JOINTS, 3), np.nan)
        world[person.rows] = (person.pose3d + root[person.rows, None]) @ turn.T
        placed.append((person, world))
    floor = np.nanmin([w[..., 1] for _, w in placed])
    for _, world in placed:
        world[..., 1] -= floor
    return placed, [0.0, -float(floor), 0.0], [float(v) for v in turn @ [0.0, 0.0, 1.0]]


def page_data(result, image_size=None, fps=30.0):
    """The JSON the lift page reads (lib/eval/web/lift.js)."""
    frames = len(result.labels)
    extent = image_extent(result, image_size)
    placed, camera, forward = placed_people(result, extent)
    people = []
    for k, (person, world) in enumerate(placed):
        pose2d = np.full((frames, h36m.NUM_JOINTS, 2), np.nan)
        pose2d[person.rows] = person.pose2d
        filled_joints = {int(r): [h36m.JOINT_NAMES.index(n) for n in names]
                         for r, names in person.filled.items()}
        people.append({'id': str(person.id), 'colour': PALETTE[k % len(PALETTE)],
                       'pose3d': encode(world, MM_SCALE), 'pose2d': encode(pose2d, PX_SCALE),
                       'filled': filled_joints,
                       'left_out': {int(r): reason for r, reason in person.left_out}})
    pelvis = np.concatenate([w[:, 0][~np.isnan(w[:, 0, 0])] for _, w in placed])
    return {'frames': frames, 'labels': [str(label) for label in result.labels], 'fps': fps,
            'scales': {'mm': MM_SCALE, 'px': PX_SCALE},
            'info': skeleton_info(), 'camera': {'where': camera, 'forward': forward},
            'target': [float(v) for v in np.median(pelvis, axis=0)],
            # Far enough to see everyone: the pelvises' spread, and a body's height around it.
            'distance': float(2.5 * np.ptp(pelvis, axis=0).max() + 3500),
            'extent': [float(v) for v in extent],
            'people': people}


def write_lift_page(path, result, title, image_size=None, fps=30.0):
    """Write the page of a LiftResult (lib.eval.pages.write_page)."""
    lifted = sum(len(p.rows) for p in result.people)
    subtitle = ('%d person(s), %d frame(s), %d person-frames lifted; drag to turn, shift-drag to '
                'move, wheel to zoom; space plays, arrows step'
                % (len(result.people), len(result.labels), lifted))
    write_page(path, 'lift', title, subtitle, page_data(result, image_size, fps))
