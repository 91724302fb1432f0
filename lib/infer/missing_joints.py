"""One person's 2D keypoints over time made ready for the network: missing joints filled
between the frames that see them, frames with too many missing left out with their reason.
The layouts and their mapping to Human3.6M's joints are lib.core.layouts.
"""
import numpy as np

from lib.core import h36m


class Track:
    """One person's 2D poses over time, ready for the network.

    pose2d (F, 17, 2) pixels with every input joint filled where `kept`; kept (F,) bool;
    reasons {frame index: why it was left out}; filled {frame index: names of filled joints}.
    """

    def __init__(self, pose2d, kept, reasons, filled):
        self.pose2d, self.kept, self.reasons, self.filled = pose2d, kept, reasons, filled


def prepare_track(pose2d, max_missing=4):
    """Fill the missing input joints of one person's poses (F, 17, 2) px (NaN = missing, frames
    in time order) -> Track.

    A frame with more than `max_missing` of the 16 input joints missing is left out, with its
    reason. Then each missing joint is interpolated linearly between the frames where it is
    seen (before its first sighting it takes the first seen value, after the last the last);
    a joint never seen in the track is placed from its parent as the other side's limb is
    (e.g. RWrist = RElbow + LWrist - LElbow), or at its parent when that side is missing too."""
    pose2d = np.array(pose2d, dtype=np.float64)
    inputs = list(h36m.INPUT_JOINTS)
    missing = np.isnan(pose2d[..., 0])
    count = missing[:, inputs].sum(axis=1)
    kept = count <= max_missing
    reasons = {int(f): '%d of %d input joints missing (%s); at most %d may be filled'
               % (count[f], len(inputs), ', '.join(h36m.JOINT_NAMES[j] for j in inputs
                                                   if missing[f, j]), max_missing)
               for f in np.flatnonzero(~kept)}
    filled = {int(f): [h36m.JOINT_NAMES[j] for j in inputs if missing[f, j]]
              for f in np.flatnonzero(kept & (count > 0))}
    out = pose2d.copy()
    rows = np.flatnonzero(kept)
    if len(rows):
        part = out[rows]
        for j in inputs:
            seen = ~np.isnan(part[:, j, 0])
            if seen.all() or not seen.any():
                continue
            for axis in range(2):
                part[:, j, axis] = np.interp(rows, rows[seen], part[seen, j, axis])
        _fill_from_skeleton(part)
        out[rows] = part
    _leave_out_unplaceable(out, kept, reasons, filled)
    return Track(out.astype(np.float32), kept, reasons, filled)


def _leave_out_unplaceable(pose2d, kept, reasons, filled):
    """In place: kept frames that filling could not complete (the pelvis, the root every joint
    is filled from, never seen in the track) or whose input joints all sit on one point (no
    body to lift) are left out, with their reason."""
    inputs = pose2d[:, list(h36m.INPUT_JOINTS)]
    unplaced = kept & np.isnan(inputs).any(axis=(1, 2))
    for f in np.flatnonzero(unplaced):
        lacking = [h36m.JOINT_NAMES[j] for j in h36m.INPUT_JOINTS if np.isnan(pose2d[f, j, 0])]
        reasons[int(f)] = ('%s cannot be placed: never seen in this person\'s track (the hips '
                           'place the pelvis)' % ', '.join(lacking))
    with np.errstate(invalid='ignore'):
        spread = np.nanmax(np.abs(inputs - np.nanmean(inputs, axis=1, keepdims=True)),
                           axis=(1, 2)) if inputs.size else np.zeros(len(pose2d))
    flat = kept & ~unplaced & (spread < 1e-3)
    for f in np.flatnonzero(flat):
        reasons[int(f)] = 'every keypoint on one point: no body to lift'
    for f in np.flatnonzero(unplaced | flat):
        kept[f] = False
        filled.pop(int(f), None)


_MIRROR = {a: b for pair in h36m.FLIP_PAIRS for a, b in (pair, pair[::-1])}


def _fill_from_skeleton(pose2d):
    """In place: joints still NaN (never seen) from their parent and the other side's limb,
    root outwards, so that a parent is filled before its children."""
    for j in range(1, h36m.NUM_JOINTS):           # PARENTS lists every parent before its child
        gap = np.isnan(pose2d[:, j, 0])
        if not gap.any():
            continue
        parent = h36m.PARENTS[j]
        guess = pose2d[:, parent].copy()
        if j in _MIRROR:
            offset = pose2d[:, _MIRROR[j]] - pose2d[:, h36m.PARENTS[_MIRROR[j]]]
            guess = np.where(np.isnan(offset), guess, guess + offset)
        pose2d[gap, j] = guess[gap]
