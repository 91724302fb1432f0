"""Reading 2D keypoints of other tools and mapping them to the 17 Human3.6M joints.

Every reader returns a list of tracks, one per person: dict with 'frames' (F,) int frame
numbers and 'points' (F, 17, 3) float64 = u, v in pixels and a confidence in [0, 1] (1 where
the format has none). Joints that a format lacks are derived:

| H36M joint | from COCO-17 | from OpenPose BODY_25 |
|---|---|---|
| Hip (pelvis) | mid-point of the hips | MidHip |
| Thorax | mid-point of the shoulders | Neck |
| Spine | mid-point of pelvis and thorax | same |
| Neck/Nose | nose | Nose |
| Head | mean of eyes and ears | mean of eyes and ears |
| hips, knees, feet (ankles), shoulders, elbows, wrists | the same joints | the same joints |

A derived joint's confidence is the lowest of its sources'. The Head of Human3.6M is the top of
the head, so the mean of eyes and ears sits a few centimetres low; Neck/Nose is not a network
input (DESIGN.md section 3).
"""
import glob
import json
import os

import numpy as np

from lib import h36m
from lib.errors import PoseError

FORMATS = ('h36m', 'coco', 'body25')

# (H36M joint, source joints averaged) for the two detector layouts.
COCO_TO_H36M = {0: (11, 12), 1: (12,), 2: (14,), 3: (16,), 4: (11,), 5: (13,), 6: (15,),
                8: (5, 6), 9: (0,), 10: (1, 2, 3, 4), 11: (5,), 12: (7,), 13: (9,), 14: (6,),
                15: (8,), 16: (10,)}
BODY25_TO_H36M = {0: (8,), 1: (9,), 2: (10,), 3: (11,), 4: (12,), 5: (13,), 6: (14,), 8: (1,),
                  9: (0,), 10: (15, 16, 17, 18), 11: (5,), 12: (6,), 13: (7,), 14: (2,),
                  15: (3,), 16: (4,)}
NUM_SOURCE_JOINTS = {'h36m': 17, 'coco': 17, 'body25': 25}


def to_h36m(points, mapping):
    """(N, J, 3) keypoints of another layout -> (N, 17, 3) by a mapping as above; Spine is the
    mid-point of Hip and Thorax."""
    out = np.zeros(points.shape[:-2] + (17, 3))
    for joint, sources in mapping.items():
        src = points[..., list(sources), :]
        out[..., joint, :2] = src[..., :2].mean(axis=-2)
        out[..., joint, 2] = src[..., 2].min(axis=-1)
    out[..., 7, :2] = (out[..., 0, :2] + out[..., 8, :2]) / 2
    out[..., 7, 2] = np.minimum(out[..., 0, 2], out[..., 8, 2])
    return out


def _as_points(values, joints, where):
    """A flat or nested list of numbers -> (joints, 3) with confidence 1 when absent."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PoseError('%s: keypoints must be numbers' % where)
    if arr.ndim == 1 and arr.size in (2 * joints, 3 * joints):
        arr = arr.reshape(joints, -1)
    if arr.ndim != 2 or arr.shape[0] != joints or arr.shape[1] not in (2, 3):
        raise PoseError('%s: expected %d keypoints of (u, v) or (u, v, confidence), got shape %s'
                        % (where, joints, arr.shape))
    if arr.shape[1] == 2:
        arr = np.concatenate([arr, np.ones((joints, 1))], axis=1)
    if not np.all(np.isfinite(arr)):
        raise PoseError('%s: NaN or infinity among the keypoints' % where)
    return arr


def _load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise PoseError('%s: cannot read (%s)' % (path, e.strerror))
    except (ValueError, UnicodeDecodeError) as e:
        raise PoseError('%s: not valid JSON (%s)' % (path, str(e).splitlines()[0][:100]))


def read_h36m(path):
    """Human3.6M 17-joint order: .npy (N, 17, 2|3), or JSON: a list of frames, each a list of 17
    [u, v] or [u, v, c] (or {"keypoints": that list}). One person."""
    if path.endswith('.npy'):
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise PoseError('%s: not a readable .npy array (%s)' % (path, e))
        frames = list(arr) if arr.ndim == 3 else [arr]
    else:
        data = _load_json(path)
        frames = data.get('keypoints') if isinstance(data, dict) else data
        if not isinstance(frames, list):
            raise PoseError('%s: expected a list of frames or {"keypoints": [...]}' % path)
    if not frames:
        raise PoseError('%s: no frames' % path)
    points = np.stack([_as_points(f, 17, '%s frame %d' % (path, i)) for i, f in enumerate(frames)])
    return [{'frames': np.arange(len(points)), 'points': points}]


def read_coco(path):
    """COCO keypoint results: a JSON list of {"image_id", "keypoints": [51 numbers], ...}
    (the output of most 2D detectors). Frames are the sorted image ids; the k-th person of a
    frame is track k."""
    data = _load_json(path)
    if isinstance(data, dict) and 'annotations' in data:
        data = data['annotations']
    if not isinstance(data, list) or not data:
        raise PoseError('%s: expected a non-empty list of detections with "keypoints"' % path)
    per_image = {}
    for i, det in enumerate(data):
        if not isinstance(det, dict) or 'keypoints' not in det:
            raise PoseError('%s: detection %d has no "keypoints"' % (path, i))
        points = _as_points(det['keypoints'], 17, '%s detection %d' % (path, i))
        image = det.get('image_id', 0)
        per_image.setdefault(image, []).append(points)
    images = sorted(per_image, key=lambda k: (str(type(k)), k))
    return _tracks([per_image[k] for k in images], COCO_TO_H36M)


def read_body25(path):
    """OpenPose BODY_25: a folder of *_keypoints.json files (one per frame, in name order) or
    one such file: {"people": [{"pose_keypoints_2d": [75 numbers]}, ...]}."""
    files = sorted(glob.glob(os.path.join(path, '*.json'))) if os.path.isdir(path) else [path]
    if not files:
        raise PoseError('%s: no .json files in this folder' % path)
    frames = []
    for f in files:
        data = _load_json(f)
        people = data.get('people') if isinstance(data, dict) else None
        if not isinstance(people, list):
            raise PoseError('%s: expected an OpenPose file with a "people" list' % f)
        frames.append([_as_points(p.get('pose_keypoints_2d') if isinstance(p, dict) else None,
                                  25, '%s person %d' % (f, k)) for k, p in enumerate(people)])
    empty = [os.path.basename(f) for f, people in zip(files, frames) if not people]
    if len(empty) == len(files):
        raise PoseError('%s: no person in any frame' % path)
    return _tracks(frames, BODY25_TO_H36M, empty)


def _tracks(frames, mapping, empty=()):
    """Per-frame lists of people -> tracks by position in the list."""
    tracks = []
    for k in range(max(len(people) for people in frames)):
        idx = [i for i, people in enumerate(frames) if len(people) > k]
        pts = np.stack([frames[i][k] for i in idx])
        tracks.append({'frames': np.array(idx), 'points': to_h36m(pts, mapping)})
    if empty:
        tracks[0]['empty_frames'] = list(empty)
    return tracks


def read_keypoints(path, fmt):
    """Tracks from a file or folder in format `fmt` (one of FORMATS)."""
    if not os.path.exists(path):
        raise PoseError('--input %s: no such file or folder' % path)
    return {'h36m': read_h36m, 'coco': read_coco, 'body25': read_body25}[fmt](path)


def fill_low_confidence(track, threshold, policy, where):
    """Joints under `threshold` confidence: an error (policy 'error') or the same joint of the
    previous frame of the track (policy 'previous'). Returns (F, 17, 2) pixels."""
    points = track['points']
    low = points[..., 2] < threshold
    low[:, 9] = False                  # Neck/Nose is not a network input
    if not low.any():
        return points[..., :2].copy()
    frame, joint = np.argwhere(low)[0]
    if policy == 'error':
        raise PoseError('%s: frame %d joint %d has confidence %.2f < %.2f (use --missing '
                        'previous to fill it from the previous frame)'
                        % (where, track['frames'][frame], joint, points[frame, joint, 2],
                           threshold))
    out = points[..., :2].copy()
    for f in range(len(out)):           # sequential by nature: each fill uses the last one
        if low[f].any():
            if f == 0:
                raise PoseError('%s: frame %d joint %d is below the confidence threshold and '
                                'has no previous frame to fill from'
                                % (where, track['frames'][0], int(np.argmax(low[0]))))
            out[f, low[f]] = out[f - 1, low[f]]
    return out


def rescale_to_training(pose2d, mean2d):
    """Bring 2D poses (N, 17, 2) of any image size into the training distribution: each frame's
    input joints are centred on the pelvis of the training mean pose and scaled so that their
    RMS distance from their centroid equals the mean pose's. mean2d (32,) is the training mean
    of the 16 input joints (same order as lib.h36m.INPUT_JOINTS)."""
    mean = mean2d.reshape(16, 2)
    mean_spread = np.sqrt(((mean - mean.mean(axis=0)) ** 2).sum(axis=1).mean())
    inputs = pose2d[:, h36m.INPUT_JOINTS]
    centroid = inputs.mean(axis=1, keepdims=True)
    spread = np.sqrt(((inputs - centroid) ** 2).sum(axis=2).mean(axis=1))
    scale = mean_spread / np.maximum(spread, 1e-6)
    out = (pose2d - pose2d[:, :1]) * scale[:, None, None]
    return out + mean[0]
