"""People over time: frames in their natural order and each detection assigned to a track.

Tracks come from the file's own ids when every detection has one (AlphaPose's idx, OpenPose's
person_id, mmpose's track_id); otherwise each frame's people are matched to the tracks of the
frames before by an optimal assignment (scipy's linear_sum_assignment) on the distance between
a detection and where the track is expected (its last pose moved by its last velocity),
measured in units of the track's body size, all pairs at once. The matching is done in
coordinates that follow the camera (camera_path): a panning camera moves everyone in the image
by about the same amount between two frames, which is found as the shift that most people's
moves agree on and taken out first. A match farther than `gate` body
sizes plus twice the track's speed (body sizes a frame) times the frames since it was seen, or
a track unseen for more than `max_gap` frames, starts a new track. Ids that repeat within a
frame are not track ids (AlphaPose without tracking writes idx [0] for everyone).
"""
import logging

import numpy as np
from scipy.optimize import linear_sum_assignment

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.layouts import to_h36m
from lib.infer.detections import natural_key

log = logging.getLogger(__name__)


def ordered_frames(detections):
    """The frames of a Detections sorted by their labels' natural order (numbers as numbers)."""
    return sorted(detections.frames, key=lambda item: natural_key(item[0]))


def _size(pose):
    """RMS distance of the seen joints from their centroid (px), at least 1."""
    seen = pose[~np.isnan(pose[:, 0])]
    if len(seen) < 2:
        return 1.0
    return max(float(np.sqrt(((seen - seen.mean(axis=0)) ** 2).sum(axis=1).mean())), 1.0)


def _score(person, pose):
    """A detection's score, or the share of its joints that are seen."""
    if person['score'] is not None:
        return person['score']
    return float(np.mean(~np.isnan(pose[:, 0])))


def _new_track(track_id):
    return {'id': track_id, 'rows': [], 'pose2d': [], 'points': [], 'stable': []}


def _add(track, row, person, pose, stable=None):
    """Frame `row`'s person (the file's points, the 17 joints `pose`) joins the track; `stable`:
    the pose in the coordinates that follow the camera (the tracker matches in those)."""
    track['rows'].append(row)
    track['pose2d'].append(pose)
    track['points'].append(person['points'])
    track['stable'].append(pose if stable is None else stable)


def _best_track(frames, poses):
    """One track of the highest-scoring detection of each frame."""
    track = _new_track(0)
    for row, (_, people) in enumerate(frames):
        if people:
            k = int(np.argmax([_score(p, q) for p, q in zip(people, poses[row])]))
            _add(track, row, people[k], poses[row][k])
    return [track] if track['rows'] else []


def _tracks_by_id(frames, poses):
    """Tracks of the file's own ids (a repeated id in one frame: the first is kept)."""
    by_id = {}
    for row, (_, people) in enumerate(frames):
        for p, q in zip(people, poses[row]):
            if by_id.get(p['track']) and by_id[p['track']]['rows'][-1] == row:
                continue
            _add(by_id.setdefault(p['track'], _new_track(p['track'])), row, p, q)
    return list(by_id.values())


def _expected_pose(track, row):
    """Where a track's person should be at frame `row` (17, 2), its body size (px) and its
    speed (body sizes a frame): the last pose moved on by the last velocity (per frame)."""
    last = track['stable'][-1]
    size = _size(last)
    if len(track['rows']) < 2:
        return last, size, 0.0
    steps = track['rows'][-1] - track['rows'][-2]
    velocity = (last - track['stable'][-2]) / steps
    speed = np.nanmean(np.linalg.norm(velocity, axis=-1)) / size
    expected = np.where(np.isnan(velocity), last, last + velocity * (row - track['rows'][-1]))
    return expected, size, (0.0 if np.isnan(speed) else float(speed))


def _cost(expected, sizes, poses):
    """Distances (K, M) in body sizes from K expected poses (K, 17, 2) to M poses (M, 17, 2):
    the mean over the joints seen in both, inf where none is."""
    d = np.linalg.norm(expected[:, None] - poses[None], axis=-1)          # (K, M, 17)
    seen = ~np.isnan(d)
    total = np.where(seen, d, 0.0).sum(axis=-1)
    count = seen.sum(axis=-1)
    with np.errstate(invalid='ignore', divide='ignore'):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.inf)
    return mean / sizes[:, None]


# The most people whose centroids vote for a camera shift (the rest are left out of the vote).
VOTERS = 60


def _centroids(people_poses):
    """(P, 2) mean of the seen joints of each pose (17, 2); NaN rows for a pose with none."""
    with np.errstate(all='ignore'):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)
            return np.array([np.nanmean(p, axis=0) for p in people_poses]).reshape(-1, 2)


def camera_shift(before, after):
    """How far the camera moved everyone in the image between two frames, (2,) px: of the
    shifts that take one of `before`'s people (a list of poses (17, 2)) onto one of `after`'s,
    the one that most of `after`'s people agree with (each within half a median body size of
    someone of `before` once shifted), refined as the median of their moves. Zero when fewer
    than two people agree: one person's move cannot tell the camera's from their own."""
    a, b = _centroids(before), _centroids(after)
    a, b = a[~np.isnan(a[:, 0])][:VOTERS], b[~np.isnan(b[:, 0])][:VOTERS]
    if len(a) < 2 or len(b) < 2:
        return np.zeros(2)
    tolerance = 0.5 * np.median([_size(p) for p in list(before) + list(after)])
    shifts = (b[:, None] - a[None]).reshape(-1, 2)                       # (B * A, 2)
    moved = b[None, :, None] - shifts[:, None, None] - a[None, None]     # (S, B, A, 2)
    nearest = np.linalg.norm(moved, axis=-1).min(axis=-1)                # (S, B)
    support = (nearest < tolerance).sum(axis=1)
    best = int(np.argmax(support - 1e-6 * np.linalg.norm(shifts, axis=1)))
    if support[best] < 2:
        return np.zeros(2)
    agree = nearest[best] < tolerance
    pairs = np.linalg.norm(b[agree][:, None] - shifts[best] - a[None], axis=-1).argmin(axis=1)
    return np.median(b[agree] - a[pairs], axis=0)


def camera_path(poses):
    """(F, 2) px: where the camera has moved the image by each frame, from frame 0, adding the
    camera_shift between each frame with people and the last one before it."""
    path, offset, last = np.zeros((len(poses), 2)), np.zeros(2), None
    for row, people in enumerate(poses):
        if people:
            if last is not None:
                offset = offset + camera_shift(poses[last], people)
            last = row
        path[row] = offset
    return path


def _tracks_by_motion(frames, poses, gate, max_gap):
    """Each frame's people matched to the live tracks by an optimal assignment on the distance
    to where each track is expected, in body sizes and in coordinates that follow the camera
    (camera_path); the gate widens with the track's speed and the frames since it was seen
    (fast players, a missed frame). Unmatched people start tracks."""
    path = camera_path(poses)
    stable = [[p - path[row] for p in people] for row, people in enumerate(poses)]
    tracks = []
    for row, (_, people) in enumerate(frames):
        live = [t for t in tracks if row - t['rows'][-1] <= max_gap]
        matched = set()
        if live and people:
            moves = [_expected_pose(t, row) for t in live]
            expected = np.stack([m[0] for m in moves])
            cost = _cost(expected, np.array([m[1] for m in moves]), np.stack(stable[row]))
            allowed = gate + np.array([2.0 * m[2] * (row - t['rows'][-1])
                                       for m, t in zip(moves, live)])
            # A pair beyond its gate costs the same as any other such pair: a far-off track's
            # huge distance (a tiny spurious detection's body size) must not decide who else
            # is matched to whom.
            finite = np.where(cost <= allowed[:, None], cost, 1e9)
            for i, k in zip(*linear_sum_assignment(finite)):
                if cost[i, k] <= allowed[i]:
                    _add(live[i], row, people[k], poses[row][k], stable[row][k])
                    matched.add(k)
        for k, p in enumerate(people):
            if k not in matched:
                tracks.append(_new_track(len(tracks)))
                _add(tracks[-1], row, p, poses[row][k], stable[row][k])
    return tracks


MAX_PEOPLE = 1000      # detections in one frame; more is no video of people


def _file_tracks(frames):
    """Whether the file's own ids are track ids: every detection has one and no id repeats
    within a frame (AlphaPose without tracking writes idx [0] for everyone)."""
    ids = [[p['track'] for p in people] for _, people in frames]
    if not all(t is not None for row in ids for t in row):
        return False
    if any(len(set(row)) != len(row) for row in ids):
        log.info('the file\'s ids repeat within a frame, so they are not track ids: people are '
                 'tracked by their motion')
        return False
    return True


def describe_tracks(tracks):
    """One line on the tracks: how many, and how long (frames)."""
    lengths = sorted((len(t['rows']) for t in tracks), reverse=True)
    if not lengths:
        return 'no track'
    return '%d track(s), the longest %d frames, median %d' % (len(lengths), lengths[0],
                                                              int(np.median(lengths)))


def assign_tracks(frames, layout, options):
    """Frames [(label, people)] in time order -> list of tracks, each a dict with 'id', 'rows'
    (indices into frames, increasing), 'pose2d' (F, 17, 2) px with NaN for missing joints and
    'points' (F, J, 3) as the file gave them. Of the LiftOptions `options`: min_confidence,
    person ('all', or 'best': the highest-scoring detection of each frame, one track), and the
    tracker's gate and max_gap."""
    crowded = max((len(people) for _, people in frames), default=0)
    if crowded > MAX_PEOPLE:
        label = next(label for label, people in frames if len(people) == crowded)
        raise PoseError('image %s: %d detections in one frame, more than %d: not a video of '
                        'people' % (label, crowded, MAX_PEOPLE))
    poses = [list(to_h36m(np.stack([p['points'] for p in people]), layout,
                          options.min_confidence))
             if people else [] for _, people in frames]
    if options.person == 'best':
        tracks = _best_track(frames, poses)
    elif _file_tracks(frames):
        tracks = _tracks_by_id(frames, poses)
    else:
        tracks = _tracks_by_motion(frames, poses, options.gate, options.max_gap)
    for t in tracks:
        t['rows'] = np.array(t['rows'], dtype=np.int64)
        t['pose2d'] = np.stack(t['pose2d']).reshape(-1, h36m.NUM_JOINTS, 2)
        t['points'] = np.stack(t['points'])
    return tracks
