"""People over time: frames in their natural order and each detection assigned to a track.

Tracks come from the file's own ids when every detection has one (AlphaPose's idx, OpenPose's
person_id, mmpose's track_id); otherwise each frame's people are matched to the tracks of the
frames before by an optimal assignment (scipy's linear_sum_assignment) on the distance between
a detection and where the track is expected (its last pose moved by its last velocity),
measured in units of the track's body size. A match farther than `gate` body sizes, or a track
unseen for more than `max_gap` frames, starts a new track.
"""
import numpy as np
from scipy.optimize import linear_sum_assignment

from lib.core import h36m
from lib.core.layouts import to_h36m
from lib.infer.keypoint_values import natural_key


def ordered_frames(detections):
    """The frames of a Detections sorted by their labels' natural order (numbers as numbers)."""
    return sorted(detections.frames, key=lambda item: natural_key(item[0]))


def _pose_distance(a, b):
    """Mean distance (px) over the joints seen in both (17, 2) poses; inf when none is."""
    d = np.linalg.norm(a - b, axis=-1)
    d = d[~np.isnan(d)]
    return d.mean() if len(d) else np.inf


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
    """Where a track's person should be at frame `row`: the last pose moved on by the last
    velocity (per frame)."""
    last = track['pose2d'][-1]
    if len(track['rows']) < 2:
        return last
    steps = track['rows'][-1] - track['rows'][-2]
    velocity = (last - track['pose2d'][-2]) / steps
    return np.where(np.isnan(velocity), last, last + velocity * (row - track['rows'][-1]))


def _tracks_by_motion(frames, poses, gate, max_gap):
    """Each frame's people matched to the live tracks by an optimal assignment on the distance
    to where each track is expected, in body sizes; unmatched people start tracks."""
    tracks = []
    for row, (_, people) in enumerate(frames):
        live = [t for t in tracks if row - t['rows'][-1] <= max_gap]
        cost = np.full((len(live), len(people)), np.inf)
        for i, t in enumerate(live):
            expected, size = _expected_pose(t, row), _size(t['pose2d'][-1])
            for k, q in enumerate(poses[row]):
                cost[i, k] = _pose_distance(expected, q) / size
        matched = set()
        if live and people:
            finite = np.where(np.isfinite(cost), cost, 1e9)
            for i, k in zip(*linear_sum_assignment(finite)):
                if cost[i, k] <= gate:
                    _add(live[i], row, people[k], poses[row][k])
                    matched.add(k)
        for k, p in enumerate(people):
            if k not in matched:
                tracks.append(_new_track(len(tracks)))
                _add(tracks[-1], row, p, poses[row][k])
    return tracks


def assign_tracks(frames, layout, min_confidence, person='all', gate=1.5, max_gap=25):
    """Frames [(label, people)] in time order -> list of tracks, each a dict with 'id', 'rows'
    (indices into frames, increasing), 'pose2d' (F, 17, 2) px with NaN for missing joints and
    'points' (F, J, 3) as the file gave them. person: 'all', or 'best' (the highest-scoring
    detection of each frame, one track)."""
    poses = [[to_h36m(p['points'][None], layout, min_confidence)[0] for p in people]
             for _, people in frames]
    if person == 'best':
        tracks = _best_track(frames, poses)
    elif all(p['track'] is not None for _, people in frames for p in people):
        tracks = _tracks_by_id(frames, poses)
    else:
        tracks = _tracks_by_motion(frames, poses, gate, max_gap)
    for t in tracks:
        t['rows'] = np.array(t['rows'], dtype=np.int64)
        t['pose2d'] = np.stack(t['pose2d']).reshape(-1, h36m.NUM_JOINTS, 2)
        t['points'] = np.stack(t['points'])
    return tracks
