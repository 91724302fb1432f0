"""Poses no human makes, left out with their reason like any other frame a track cannot lift.

A detector's spurious detections (a box on a shadow, a logo, a tangle of limbs) come as 2D
poses that are upside down in the image, or whose one bone spans most of the body; lifted, they
become "people" with a foot 1.5 m from the pelvis. Two checks, on whole arrays of frames:
- implausible_2d, before lifting: the trunk and the head upside down (the pelvis above the
  thorax and the head below the feet; a handstand is refused too: the model was trained on no
  such pose), or one bone longer in the image than MAX_BONE_SHARE of the fifteen between its inputs
  (foreshortening shortens bones, it cannot make one of a body's bones most of it);
- implausible_3d, after: a joint farther than MAX_REACH_MM from the pelvis (a tall adult's
  wrist raised overhead is about 1.2 m from it).
"""
import numpy as np

from lib.core import h36m

MAX_BONE_SHARE = 0.45
MAX_REACH_MM = 1300.0
J = {name: k for k, name in enumerate(h36m.JOINT_NAMES)}


def implausible_2d(pose2d):
    """{frame: reason} of 2D poses (F, 17, 2) px, every input joint placed, that no human makes."""
    pose2d = np.asarray(pose2d, np.float64)
    y = pose2d[..., 1]                                       # image rows grow downwards
    feet = np.maximum(y[:, J['RFoot']], y[:, J['LFoot']])
    upside_down = (y[:, J['Hip']] < y[:, J['Thorax']]) & (y[:, J['Head']] > feet)
    lengths = np.stack([np.linalg.norm(pose2d[:, c] - pose2d[:, p], axis=-1)
                        for p, c in h36m.BONES_2D], axis=1)
    share = lengths.max(axis=1) / np.maximum(lengths.sum(axis=1), 1e-9)
    reasons = {}
    for f in np.flatnonzero(share > MAX_BONE_SHARE):
        p, c = h36m.BONES_2D[int(np.argmax(lengths[f]))]
        reasons[int(f)] = ('a 2D pose no human makes: the bone %s-%s spans %.0f%% of the '
                           'body in the image (at most %.0f%%)'
                           % (h36m.JOINT_NAMES[p], h36m.JOINT_NAMES[c], 100 * share[f],
                              100 * MAX_BONE_SHARE))
    for f in np.flatnonzero(upside_down):
        reasons[int(f)] = ('a 2D pose no human makes here: upside down (the pelvis above the '
                           'thorax, the head below the feet)')
    return reasons


def implausible_3d(pose3d):
    """{frame: reason} of lifted poses (K, 17, 3) mm, pelvis at 0, with a joint farther than
    MAX_REACH_MM from the pelvis."""
    reach = np.linalg.norm(np.asarray(pose3d, np.float64) - pose3d[:, :1], axis=-1)
    far = reach.max(axis=1) > MAX_REACH_MM
    return {int(f): 'lifted to a pose no human makes: %s %.0f mm from the pelvis (at most %.0f)'
            % (h36m.JOINT_NAMES[int(np.argmax(reach[f]))], reach[f].max(), MAX_REACH_MM)
            for f in np.flatnonzero(far)}
