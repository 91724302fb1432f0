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

from lib import h36m
from lib.keypoint_files import natural_key
from lib.keypoints import to_h36m


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


def assign_tracks(frames, layout, min_confidence, person='all', gate=1.5, max_gap=25):
    """Frames [(label, people)] in time order -> list of tracks, each a dict with 'id', 'rows'
    (indices into frames, increasing), 'pose2d' (F, 17, 2) px with NaN for missing joints and
    'points' (F, J, 3) as the file gave them. person: 'all', or 'best' (the highest-scoring
    detection of each frame, one track)."""
    poses = [[to_h36m(p['points'][None], layout, min_confidence)[0] for p in people]
             for _, people in frames]
    tracks = []

    def add(track, row, person_, pose):
        track['rows'].append(row)
        track['pose2d'].append(pose)
        track['points'].append(person_['points'])

    if person == 'best':
        track = {'id': 0, 'rows': [], 'pose2d': [], 'points': []}
        for row, (_, people) in enumerate(frames):
            if people:
                k = int(np.argmax([_score(p, q) for p, q in zip(people, poses[row])]))
                add(track, row, people[k], poses[row][k])
        tracks = [track] if track['rows'] else []
    elif all(p['track'] is not None for _, people in frames for p in people):
        by_id = {}
        for row, (_, people) in enumerate(frames):
            for p, q in zip(people, poses[row]):
                if by_id.get(p['track']) and by_id[p['track']]['rows'][-1] == row:
                    continue                     # a repeated id in one frame: keep the first
                add(by_id.setdefault(p['track'], {'id': p['track'], 'rows': [], 'pose2d': [],
                                                  'points': []}), row, p, q)
        tracks = list(by_id.values())
    else:
        for row, (_, people) in enumerate(frames):
            live = [t for t in tracks if row - t['rows'][-1] <= max_gap]
            cost = np.full((len(live), len(people)), np.inf)
            for i, t in enumerate(live):
                last = t['pose2d'][-1]
                expected = last
                if len(t['rows']) > 1:
                    steps = t['rows'][-1] - t['rows'][-2]
                    velocity = (last - t['pose2d'][-2]) / steps
                    expected = np.where(np.isnan(velocity), last,
                                        last + velocity * (row - t['rows'][-1]))
                for k, q in enumerate(poses[row]):
                    cost[i, k] = _pose_distance(expected, q) / _size(last)
            matched = set()
            if live and people:
                finite = np.where(np.isfinite(cost), cost, 1e9)
                for i, k in zip(*linear_sum_assignment(finite)):
                    if cost[i, k] <= gate:
                        add(live[i], row, people[k], poses[row][k])
                        matched.add(k)
            for k, p in enumerate(people):
                if k not in matched:
                    tracks.append({'id': len(tracks), 'rows': [], 'pose2d': [], 'points': []})
                    add(tracks[-1], row, p, poses[row][k])
    for t in tracks:
        t['rows'] = np.array(t['rows'], dtype=np.int64)
        t['pose2d'] = np.stack(t['pose2d']).reshape(-1, h36m.NUM_JOINTS, 2)
        t['points'] = np.stack(t['points'])
    return tracks
