"""People over time: frames in their natural order and each detection assigned to a track.

Tracks come from the file's own ids when every detection has one (AlphaPose's idx, OpenPose's
person_id, mmpose's track_id); otherwise each frame's people are matched to the tracks of the
frames before by an optimal assignment (scipy's linear_sum_assignment) on the distance between
a detection and where the track is expected (its last pose moved by its last velocity),
measured in units of the track's body size, all pairs at once. A match farther than `gate` body
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
    return {'id': track_id, 'rows': [], 'pose2d': [], 'points': []}


def _add(track, row, person, pose):
    track['rows'].append(row)
    track['pose2d'].append(pose)
    track['points'].append(person['points'])


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
    last = track['pose2d'][-1]
    size = _size(last)
    if len(track['rows']) < 2:
        return last, size, 0.0
    steps = track['rows'][-1] - track['rows'][-2]
    velocity = (last - track['pose2d'][-2]) / steps
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


def _tracks_by_motion(frames, poses, gate, max_gap):
    """Each frame's people matched to the live tracks by an optimal assignment on the distance
    to where each track is expected, in body sizes; the gate widens with the track's speed and
    the frames since it was seen (fast players, a panning camera, a missed frame).
    Unmatched people start tracks."""
    tracks = []
    for row, (_, people) in enumerate(frames):
        live = [t for t in tracks if row - t['rows'][-1] <= max_gap]
        matched = set()
        if live and people:
            moves = [_expected_pose(t, row) for t in live]
            expected = np.stack([m[0] for m in moves])
            cost = _cost(expected, np.array([m[1] for m in moves]), np.stack(poses[row]))
            allowed = gate + np.array([2.0 * m[2] * (row - t['rows'][-1])
                                       for m, t in zip(moves, live)])
            finite = np.where(np.isfinite(cost), cost, 1e9)
            for i, k in zip(*linear_sum_assignment(finite)):
                if cost[i, k] <= allowed[i]:
                    _add(live[i], row, people[k], poses[row][k])
                    matched.add(k)
        for k, p in enumerate(people):
            if k not in matched:
                tracks.append(_new_track(len(tracks)))
                _add(tracks[-1], row, p, poses[row][k])
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
