"""Readers of 2D keypoint files written by real tools, recognised by their content.

`read_keypoint_file(path, layout='auto', image_size=None)` returns a Detections: the keypoint
layout (a name in lib.core.layouts.LAYOUTS or a tuple of names the file gives), the file kind, and
per frame a label (image id or file name) and its people, each with points (J, 3) = u, v pixels
and a confidence (1 where the file has none), a score and a track id when the file has them.

| kind | what is in the file | layout |
|---|---|---|
| openpose | a folder of `*_keypoints.json` (or one): `{"people": [{"pose_keypoints_2d": [...]}]}` | 25 -> body25, 18 -> openpose18 |
| coco-results | `[{"image_id", "keypoints": [u, v, s] * J, "score"}]` (COCO results, AlphaPose, Detectron) | 17 -> coco, 26 -> halpe26, 136 -> halpe136 |
| coco-annotations | `{"images", "annotations", "categories"}` (visibility 0 = not labelled) | by the category's keypoint names |
| mmpose | `{"meta_info", "instance_info": [{"frame_id", "instances": [{"keypoints", "keypoint_scores"}]}]}` or its list alone | by meta_info's names, else 17 -> coco |
| mediapipe | frames of 33 landmarks `{"x", "y", "visibility"}` in image fractions | mediapipe; needs the image size |
| array | `.npy` (N, J, 2 or 3), or JSON `{"keypoints": frames, "keypoint_names": [...]}` or a plain list of frames | by the names; else by J, and 17 unnamed is ambiguous |

A file whose names or metadata say one layout while `layout` says another is refused.
"""
import glob
import logging
import os

import numpy as np

from lib.core import layouts
from lib.core.layouts import other_order
from lib.core.errors import PoseError
from lib.core.files import not_a_file
from lib.infer.detections import (BY_COUNT, Detections, check_layout, frame_label,
                                       keypoint_array, keypoints_of, layout_by_count, load_json,
                                       natural_key, number_or_none)

log = logging.getLogger(__name__)

def read_openpose(path, wanted):
    """An OpenPose output folder (one JSON per frame, in natural order of the names) or file."""
    files = (sorted(glob.glob(os.path.join(path, '*.json')), key=natural_key)
             if os.path.isdir(path) else [path])
    if not files:
        raise PoseError('%s: no .json files in this folder' % path)
    frames, count = [], None
    for f in files:
        data = load_json(f)
        people = data.get('people') if isinstance(data, dict) else None
        if not isinstance(people, list):
            raise PoseError('%s: expected an OpenPose file with a "people" list' % f)
        found = []
        for k, p in enumerate(people):
            pts = keypoints_of(p, 'pose_keypoints_2d', '%s person %d' % (f, k), 3, count)
            count = len(pts)
            pid = number_or_none(p.get('person_id'))        # -1 when OpenPose did not track
            found.append({'points': pts, 'score': None,
                          'track': int(pid) if pid is not None and pid >= 0 else None})
        frames.append((os.path.basename(f), found))
    if count is None:
        raise PoseError('%s: no person in any frame' % path)
    layout = layout_by_count(count, wanted, path)
    if layout not in ('body25', 'openpose18'):
        raise PoseError('%s: OpenPose files hold BODY_25 or COCO-18 keypoints, not %s'
                        % (path, layout))
    return Detections(layout, 'openpose', frames, path)


def read_coco_results(data, path, wanted):
    """COCO keypoint results: a list of {"image_id", "keypoints", "score"} (AlphaPose adds
    "idx", a track id, when it tracks)."""
    per_image, count = {}, None
    for i, det in enumerate(data):
        where = '%s detection %d' % (path, i)
        pts = keypoints_of(det, 'keypoints', where, 3, count)
        count = len(pts)
        label = frame_label(det.get('image_id', 0), where)
        idx = number_or_none(det.get('idx'))
        per_image.setdefault(label, []).append({'points': pts, 'score': number_or_none(det.get('score')),
                                                'track': None if idx is None else int(idx)})
    layout = layout_by_count(count, wanted, path, default_17='coco')
    return Detections(layout, 'coco-results', list(per_image.items()), path)


def read_coco_annotations(data, path, wanted):
    """A COCO keypoint annotation file: images, annotations (keypoints u, v, visibility; v = 0 is
    a joint not labelled) and the person category's keypoint names."""
    cats = [c for c in data.get('categories', []) if isinstance(c, dict) and c.get('keypoints')]
    ids = [img.get('id') for img in data.get('images', []) if isinstance(img, dict)]
    shared = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if shared:
        raise PoseError('%s: images share the id %r: their people cannot be told apart'
                        % (path, shared[0]))
    images = {img.get('id'): img.get('file_name', img.get('id'))
              for img in data.get('images', []) if isinstance(img, dict)}
    per_image = {images[k]: [] for k in images}
    for i, ann in enumerate(data['annotations']):
        where = '%s annotation %d' % (path, i)
        pts = keypoints_of(ann, 'keypoints', where, 3, None)
        pts[:, 2] = (pts[:, 2] > 0).astype(np.float64)     # labelled (1 or 2) or not (0)
        image = frame_label(ann.get('image_id', 0), where)
        per_image.setdefault(images.get(image, image), []).append(
            {'points': pts, 'score': float(ann.get('num_keypoints', pts[:, 2].sum())),
             'track': ann.get('track_id') if isinstance(ann.get('track_id'), int) else None})
    counts = {len(p['points']) for people in per_image.values() for p in people}
    if len(counts) != 1:
        raise PoseError('%s: annotations with %s keypoints' % (path, sorted(counts) or 'no'))
    count = counts.pop()
    if cats:
        names = cats[0]['keypoints']
        if len(names) != count:
            raise PoseError('%s: the category names %d keypoints, annotations hold %d'
                            % (path, len(names), count))
        layout = check_layout(layouts.layout_from_names(names, path), wanted, path, True)
    else:
        layout = layout_by_count(count, wanted, path, default_17='coco')
    return Detections(layout, 'coco-annotations', list(per_image.items()), path)


def read_mmpose(data, path, wanted):
    """mmpose predictions: {"meta_info": {"keypoint_id2name": ...}, "instance_info": [{"frame_id",
    "instances": [{"keypoints": [[u, v]], "keypoint_scores": [s], "bbox_score"}]}]}, the list
    of frames alone, or one image's list of instances."""
    meta = data.get('meta_info', {}) if isinstance(data, dict) else {}
    frames_in = data['instance_info'] if isinstance(data, dict) else data
    if frames_in and isinstance(frames_in[0], dict) and 'instances' not in frames_in[0]:
        frames_in = [{'frame_id': 0, 'instances': frames_in}]     # one image's instances
    frames, count = [], None
    for i, fr in enumerate(frames_in):
        if not isinstance(fr, dict) or not isinstance(fr.get('instances'), list):
            raise PoseError('%s: frame %d has no "instances" list' % (path, i))
        label = frame_label(fr.get('frame_id', i), '%s frame %d' % (path, i))
        people = []
        for k, inst in enumerate(fr['instances']):
            where = '%s frame %s instance %d' % (path, label, k)
            raw = inst.get('keypoints') if isinstance(inst, dict) else None
            if isinstance(raw, list) and raw and isinstance(raw[0], list) and len(raw[0]) == 3 \
                    and inst.get('keypoint_scores') is not None:
                raise PoseError('%s: keypoints of 3 values beside keypoint_scores are 3D '
                                '(mmpose\'s 3D lifter output); this lifts 2D keypoints' % where)
            pts = keypoints_of(inst, 'keypoints', where, 2, count)
            scores = inst.get('keypoint_scores')
            if scores is not None:
                scores = np.asarray(scores, dtype=np.float64).ravel()
                if scores.shape != (len(pts),):
                    raise PoseError('%s: %d keypoint_scores for %d keypoints'
                                    % (where, scores.size, len(pts)))
                pts[:, 2] = scores
            count = len(pts)
            track = number_or_none(inst.get('track_id'))
            people.append({'points': pts, 'score': number_or_none(inst.get('bbox_score',
                                                                     inst.get('score'))),
                           'track': None if track is None else int(track)})
        frames.append((label, people))
    if count is None:
        raise PoseError('%s: no instance in any frame' % path)
    names = meta.get('keypoint_id2name') if isinstance(meta, dict) else None
    if isinstance(names, dict) and len(names) == count:
        ordered = [names.get(str(i), names.get(i)) for i in range(count)]
        layout = check_layout(layouts.layout_from_names(ordered, path), wanted, path, True)
    else:
        layout = layout_by_count(count, wanted, path, default_17='coco')
    return Detections(layout, 'mmpose', frames, path)


def _landmarks(frame):
    """A MediaPipe frame -> list of people, each a list of landmark dicts."""
    if isinstance(frame, dict):
        for key in ('pose_landmarks', 'landmarks', 'landmark'):
            if key in frame:
                value = frame[key]
                if isinstance(value, dict) and 'landmark' in value:
                    value = value['landmark']
                if not isinstance(value, list):
                    raise PoseError('%s: %r is not a list of landmarks' % (key, type(value).__name__))
                if value and isinstance(value[0], list):
                    return value                      # several people (Tasks API)
                if value and isinstance(value[0], dict) and 'landmark' in value[0]:
                    return [v['landmark'] for v in value]
                return [value] if value else []
        return []
    return [frame] if frame else []


def read_mediapipe(data, path, image_size):
    """MediaPipe Pose landmarks: a list of frames (or {"frames": [...], "image_size": [W, H]}),
    each 33 {"x", "y", "z", "visibility"} in fractions of the image width and height, or
    {"image": name, "landmarks": [...]} / {"pose_landmarks": [[...], ...]} for several people."""
    frames_in = data.get('frames', []) if isinstance(data, dict) else data
    size = image_size
    if size is None and isinstance(data, dict):
        size = data.get('image_size') or ((data['width'], data['height'])
                                          if 'width' in data and 'height' in data else None)
    if size is None:
        raise PoseError('%s: MediaPipe landmarks are in fractions of the image; give the image '
                        'size with --image-size W H' % path)
    w, h = check_image_size(size, '%s: image_size' % path if image_size is None
                            else '--image-size')
    frames = []
    for i, fr in enumerate(frames_in):
        label = fr.get('image', fr.get('frame', i)) if isinstance(fr, dict) else i
        label = frame_label(label, '%s frame %d' % (path, i))
        people = []
        for k, marks in enumerate(_landmarks(fr)):
            where = '%s frame %s person %d' % (path, label, k)
            if len(marks) != 33 or not all(isinstance(m, dict) and 'x' in m and 'y' in m
                                           for m in marks):
                raise PoseError('%s: expected 33 landmarks with x and y' % where)
            pts = keypoint_array([[m['x'] * w, m['y'] * h, m.get('visibility', 1.0)] for m in marks],
                          where)
            people.append({'points': pts, 'score': float(pts[:, 2].mean()), 'track': None})
        frames.append((label, people))
    if not any(people for _, people in frames):
        raise PoseError('%s: no person in any frame' % path)
    return Detections('mediapipe', 'mediapipe', frames, path)


def _flat_columns(frame):
    """Numbers per keypoint of a flat frame: 3 when that gives a known keypoint count (or 2
    does not divide it), else 2."""
    if isinstance(frame, np.ndarray):
        size = frame.size
    elif isinstance(frame, list) and all(isinstance(v, (int, float)) for v in frame):
        size = len(frame)
    else:
        return None
    known = set(BY_COUNT) | {17}
    if size % 3 == 0 and (size // 3 in known or size % 2):
        return 3
    return 2


def read_array(frames_in, path, wanted, names=None):
    """One person's frames: an (N, J, 2|3) array or list, with keypoint names if known."""
    pts = [keypoint_array(f, '%s frame %d' % (path, i), _flat_columns(f)) for i, f in enumerate(frames_in)]
    if not pts:
        raise PoseError('%s: no frames' % path)
    if len({len(p) for p in pts}) != 1:
        raise PoseError('%s: frames with different numbers of keypoints' % path)
    if names is not None:
        if len(names) != len(pts[0]):
            raise PoseError('%s: %d keypoint names for %d keypoints' % (path, len(names), len(pts[0])))
        layout = check_layout(layouts.layout_from_names(names, path), wanted, path, True)
    else:
        layout = layout_by_count(len(pts[0]), wanted, path)
        check_joint_order(np.stack(pts), layout, path)
    # One person by definition: track 0 throughout, whatever the poses do.
    return Detections(layout, 'array', [(i, [{'points': p, 'score': None, 'track': 0}])
                                        for i, p in enumerate(pts)], path)


def check_joint_order(points, layout, path):
    """Refuse 17 unnamed keypoints (N, 17, 3) said to be in `layout` (h36m or coco) whose poses
    look like the other order (lib.core.layouts.other_order)."""
    mismatch = other_order(points, layout)
    if mismatch:
        other, alternative, claimed = mismatch
        raise PoseError('%s: said to be in %s order, but the keypoints look like %s order (the '
                        'head-to-feet line spans %.0f%% of the body that way, %.0f%% this way); '
                        'use --format %s' % (path, layout, other, 100 * alternative,
                                             100 * claimed, other))


def _named_layout(data, path):
    """Keypoint names a JSON dict gives: keypoint_names/joint_names, or layout_name."""
    for key in ('keypoint_names', 'joint_names', 'keypoints_names'):
        if isinstance(data.get(key), list):
            return data[key]
    name = data.get('layout_name') or data.get('layout')
    if isinstance(name, str):
        if name not in layouts.LAYOUTS:
            raise PoseError('%s: layout_name %r is none of %s' % (path, name, ', '.join(layouts.LAYOUTS)))
        return list(layouts.LAYOUTS[name])
    return None


def read_keypoint_file(path, layout='auto', image_size=None):
    """The Detections of a file or folder of any kind in the module docstring, in pixels
    (fractions of the image scaled by `image_size`). A file whose structure breaks a reader's
    expectations in a way no check above names is reported as malformed, in one line."""
    kind = not_a_file(path)
    if kind and kind != 'a folder':             # a folder is OpenPose's output
        raise PoseError('--input %s: %s, not a keypoint file' % (path, kind))
    if image_size is not None:
        check_image_size(image_size, '--image-size')
    try:
        return in_pixels(_read_any(path, layout, image_size), image_size)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
        raise PoseError('%s: malformed keypoint file (%s: %s)'
                        % (path, type(e).__name__, str(e).splitlines()[0][:80] if str(e) else ''))


def check_image_size(size, where):
    """(W, H) as two finite sizes in (0, 10^6) pixels, or a PoseError naming `where`."""
    try:
        w, h = (float(v) for v in size)
    except (TypeError, ValueError):
        raise PoseError('%s: expected an image size [W, H] in pixels, got %r' % (where, size))
    if not (np.isfinite(w) and np.isfinite(h) and 0 < w < 1e6 and 0 < h < 1e6):
        raise PoseError('%s: image size %r: expected two sizes in (0, 1e6) pixels'
                        % (where, list(size)))
    return w, h


def in_pixels(detections, image_size):
    """Detections whose keypoints all lie within [0, 1.5] are fractions of the image (OpenPose's
    --keypoint_scale 3, some exports): scaled by `image_size`, or refused without it. Keypoints
    within +-5 that go negative are no image's pixels (metres, centred coordinates): refused."""
    seen = [p['points'][(p['points'][:, 2] > 0) & np.any(p['points'][:, :2] != 0, axis=1), :2]
            for _, people in detections.frames for p in people]
    seen = np.concatenate(seen) if seen else np.zeros((0, 2))
    if not len(seen) or detections.kind == 'mediapipe':
        return detections
    low, high = seen.min(), np.abs(seen).max()
    if low < 0 and high < 5:
        raise PoseError('%s: keypoints within +-%.2g, some negative: not pixels of an image '
                        '(metres or centred coordinates?)' % (detections.path, high))
    if low >= 0 and high <= 1.5:
        if image_size is None:
            raise PoseError('%s: keypoints within 0..%.2g are fractions of the image (OpenPose '
                            '--keypoint_scale 3?); give the image size with --image-size W H'
                            % (detections.path, high))
        scale = np.array(check_image_size(image_size, '--image-size'))
        log.info('%s: keypoints in fractions of the image, scaled to %g x %g pixels',
                 detections.path, *scale)
        for _, people in detections.frames:
            for p in people:
                p['points'][:, :2] *= scale
    return detections


def _read_any(path, layout, image_size):
    if not os.path.exists(path):
        raise PoseError('--input %s: no such file or folder' % path)
    if os.path.isdir(path):
        return read_openpose(path, layout)
    if path.endswith('.npy'):
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise PoseError('%s: not a readable .npy array (%s)' % (path, e))
        if arr.dtype.kind not in 'fiu' or arr.ndim not in (2, 3):
            raise PoseError('%s: expected a number array (N, J, 2 or 3), got %s %s'
                            % (path, arr.dtype, arr.shape))
        return read_array(list(arr) if arr.ndim == 3 else [arr], path, layout)
    data = load_json(path)
    if isinstance(data, dict):
        if 'annotations' in data and 'images' in data:
            return read_coco_annotations(data, path, layout)
        if 'people' in data:
            return read_openpose(path, layout)
        if 'instance_info' in data:
            return read_mmpose(data, path, layout)
        if 'frames' in data and layout in ('auto', 'mediapipe'):
            return read_mediapipe(data, path, image_size)
        if 'keypoints' in data:
            return read_array(data['keypoints'], path, layout, _named_layout(data, path))
        raise PoseError('%s: a JSON object of no keypoint format this project knows (keys: %s)'
                        % (path, ', '.join(list(data)[:8])))
    if not isinstance(data, list) or not data:
        raise PoseError('%s: expected a non-empty list or object of keypoints' % path)
    first = data[0]
    if isinstance(first, dict) and 'image_id' in first:
        return read_coco_results(data, path, layout)
    if isinstance(first, dict) and ('instances' in first or 'keypoint_scores' in first):
        return read_mmpose(data, path, layout)
    if (isinstance(first, dict) and any(k in first for k in ('landmarks', 'pose_landmarks',
                                                             'landmark'))) \
            or (isinstance(first, list) and first and isinstance(first[0], dict)):
        return read_mediapipe(data, path, image_size)
    if isinstance(first, dict) and 'keypoints' in first:
        return read_coco_results(data, path, layout)
    return read_array(data, path, layout)
