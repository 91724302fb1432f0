"""2D keypoint layouts of other tools and their mapping to the 17 Human3.6M joints.

A layout is a tuple of keypoint names (LAYOUTS). Every mapping goes through the names, so a
file that lists its own keypoint names in any order is read by them. The 17 Human3.6M joints
are made from a layout's keypoints as follows (the first rule whose sources are all seen wins):

| H36M joint | from |
|---|---|
| Hip (pelvis) | Hip/MidHip; else the mid-point of the hips (a hip that is not seen is its own side's shoulder plus the other side's shoulder-to-hip vector) |
| Thorax | Thorax; Neck; the mid-point of the shoulders |
| Spine | Spine; the mid-point of pelvis and thorax |
| Neck/Nose | Neck/Nose; Nose (not a network input) |
| Head | Head/HeadTop; the mean of the eyes and ears that are seen; the nose moved a quarter of the thorax-to-nose distance further from the thorax |
| hips, knees, ankles (Foot), shoulders, elbows, wrists | the same joints |

Human3.6M's Head is the top of the head, so the mean of eyes and ears sits a few cm low.
A keypoint is missing (NaN) when its confidence is below the threshold or when it sits at
exactly (0, 0), which is how OpenPose, COCO and AlphaPose write a joint they did not find.
"""
import re
import warnings

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError

_COCO = ('Nose', 'LEye', 'REye', 'LEar', 'REar', 'LShoulder', 'RShoulder', 'LElbow', 'RElbow',
         'LWrist', 'RWrist', 'LHip', 'RHip', 'LKnee', 'RKnee', 'LAnkle', 'RAnkle')
_HALPE26 = _COCO + ('Head', 'Neck', 'Hip', 'LBigToe', 'RBigToe', 'LSmallToe', 'RSmallToe',
                    'LHeel', 'RHeel')
LAYOUTS = {
    # Human3.6M order; its Foot joints are the ankles.
    'h36m': ('Hip', 'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle', 'Spine', 'Thorax',
             'Neck/Nose', 'Head', 'LShoulder', 'LElbow', 'LWrist', 'RShoulder', 'RElbow',
             'RWrist'),
    # COCO keypoints (COCO, mmpose and AlphaPose COCO models, most detectors' results).
    'coco': _COCO,
    # OpenPose BODY_25 (MidHip is the pelvis, Neck the mid-point of the shoulders).
    'body25': ('Nose', 'Neck', 'RShoulder', 'RElbow', 'RWrist', 'LShoulder', 'LElbow', 'LWrist',
               'Hip', 'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle', 'REye', 'LEye',
               'REar', 'LEar', 'LBigToe', 'LSmallToe', 'LHeel', 'RBigToe', 'RSmallToe',
               'RHeel'),
    # OpenPose COCO-18 (the COCO model of OpenPose: COCO's joints plus Neck, another order).
    'openpose18': ('Nose', 'Neck', 'RShoulder', 'RElbow', 'RWrist', 'LShoulder', 'LElbow',
                   'LWrist', 'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle', 'REye', 'LEye',
                   'REar', 'LEar'),
    # AlphaPose / Halpe full body: COCO's 17, then Head (top), Neck, Hip (pelvis) and the feet;
    # Halpe-136 adds 68 face and 2 x 21 hand keypoints after these 26.
    'halpe26': _HALPE26,
    'halpe136': _HALPE26 + tuple('Face%d' % i for i in range(68))
    + tuple('LHand%d' % i for i in range(21)) + tuple('RHand%d' % i for i in range(21)),
    # Stacked Hourglass on Human3.6M (the original's StackedHourglass*/ files, VideoPose3D's
    # sh_pt_mpii and sh_ft_h36m): the network's 16 inputs in MPII-like order.
    'sh16': ('RAnkle', 'RKnee', 'RHip', 'LHip', 'LKnee', 'LAnkle', 'Hip', 'Spine', 'Thorax',
             'Head', 'RWrist', 'RElbow', 'RShoulder', 'LShoulder', 'LElbow', 'LWrist'),
    # MediaPipe Pose (BlazePose), 33 landmarks.
    'mediapipe': ('Nose', 'LEyeInner', 'LEye', 'LEyeOuter', 'REyeInner', 'REye', 'REyeOuter',
                  'LEar', 'REar', 'MouthLeft', 'MouthRight', 'LShoulder', 'RShoulder', 'LElbow',
                  'RElbow', 'LWrist', 'RWrist', 'LPinky', 'RPinky', 'LIndex', 'RIndex', 'LThumb',
                  'RThumb', 'LHip', 'RHip', 'LKnee', 'RKnee', 'LAnkle', 'RAnkle', 'LHeel',
                  'RHeel', 'LFootIndex', 'RFootIndex'),
}
# Other spellings of keypoint names found in files (after normalise_name).
_SYNONYMS = {'pelvis': 'hip', 'midhip': 'hip', 'root': 'hip', 'lfoot': 'lankle',
             'rfoot': 'rankle', 'headtop': 'head', 'tophead': 'head', 'necknose': 'necknose',
             'chest': 'thorax', 'upperneck': 'neck', 'neckbase': 'necknose'}


def normalise_name(name):
    """'left_shoulder', 'LShoulder', 'L Shoulder' -> 'lshoulder'; synonyms to one spelling."""
    text = re.sub(r'[^a-z0-9]', '', str(name).lower().replace('left', 'l').replace('right', 'r'))
    return _SYNONYMS.get(text, text)


def known_names():
    """Every keypoint name of LAYOUTS and its synonyms, normalised (normalise_name)."""
    return ({normalise_name(n) for names in LAYOUTS.values() for n in names}
            | set(_SYNONYMS) | set(_SYNONYMS.values()))


def layout_from_names(names, where):
    """A known layout whose names equal `names` (in order), else the names themselves: a file
    that names its keypoints is read by those names. Names this project does not know are fine
    while the joints it needs can still be made; a name it does not know where one of them is
    then missing (a misspelt 'LKnee') is an error naming both, and so are names that name no
    body joint at all."""
    norm = [normalise_name(n) for n in names]
    for layout, known in LAYOUTS.items():
        if norm == [normalise_name(n) for n in known]:
            return layout
    useful = {normalise_name(n) for n in LAYOUTS['h36m'] + _COCO + ('Neck', 'Head')}
    if not useful & set(norm):
        raise PoseError('%s: keypoint names %s name no body joint this project knows'
                        % (where, ', '.join(map(str, names[:6]))))
    layout = tuple(str(n) for n in names)
    unknown = [n for n, k in zip(layout, norm) if k not in known_names()]
    missing = unmade_joints(layout)
    if unknown and missing:
        raise PoseError('%s: keypoint name%s %s %s not a keypoint this project knows, and %s '
                        'cannot be made without it (known names: those of the layouts %s)'
                        % (where, 's' if len(unknown) > 1 else '', ', '.join(map(repr, unknown)),
                           'are' if len(unknown) > 1 else 'is', ', '.join(missing),
                           ', '.join(LAYOUTS)))
    return layout


def unmade_joints(layout):
    """The Human3.6M joints the network takes (h36m.INPUT_JOINTS) that keypoints of `layout`,
    every one of them seen, cannot make."""
    seen = np.ones((1, len(layout_names(layout)), 3))
    made = ~np.isnan(to_h36m(seen, layout, min_confidence=0.5)[0, :, 0])
    return [h36m.JOINT_NAMES[j] for j in h36m.INPUT_JOINTS if not made[j]]


def layout_names(layout):
    """The keypoint names of a layout (a name in LAYOUTS, or a tuple of names)."""
    if isinstance(layout, tuple):
        return layout
    if layout not in LAYOUTS:
        raise PoseError('layout %r: expected one of %s' % (layout, ', '.join(LAYOUTS)))
    return LAYOUTS[layout]


def missing_to_nan(points, min_confidence):
    """(..., J, 3) u, v, confidence -> (..., J, 2) with NaN where the confidence is below
    `min_confidence` or the point is exactly (0, 0) (a joint the detector did not find)."""
    points = np.asarray(points, dtype=np.float64)
    xy = points[..., :2].copy()
    missing = (points[..., 2] < min_confidence) | np.all(points[..., :2] == 0, axis=-1)
    xy[missing] = np.nan
    return xy


def _mean_all(*parts):
    """Mean of (F, 2) arrays, NaN where any is NaN."""
    return np.mean(np.stack(parts), axis=0)


def _mean_seen(*parts):
    """Mean of the (F, 2) arrays that are not NaN, NaN where none is seen."""
    stack = np.stack(parts)
    seen = ~np.isnan(stack[..., 0])
    total = np.where(seen[..., None], stack, 0).sum(axis=0)
    count = seen.sum(axis=0)[:, None]
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _first(*candidates):
    """Per frame, the first candidate (F, 2) that is not NaN."""
    out = candidates[0].copy()
    for c in candidates[1:]:
        gap = np.isnan(out[:, 0])
        out[gap] = c[gap]
    return out


def to_h36m(points, layout, min_confidence=0.1):
    """Keypoints (F, J, 2|3) of `layout` (pixels, with a confidence when 3 columns) -> the 17
    Human3.6M joints (F, 17, 2) pixels, NaN where a joint is missing, by the rules of the
    module docstring."""
    names = layout_names(layout)
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[1] != len(names) or points.shape[2] not in (2, 3):
        raise PoseError('keypoints: expected shape (frames, %d, 2 or 3) for layout %s, got %s'
                        % (len(names), layout if isinstance(layout, str) else 'of the file',
                           points.shape))
    if points.shape[2] == 2:
        points = np.concatenate([points, np.ones(points.shape[:2] + (1,))], axis=2)
    xy = missing_to_nan(points, min_confidence)
    index = {}
    for i, n in enumerate(names):
        index.setdefault(normalise_name(n), i)
    nan = np.full((len(xy), 2), np.nan)

    def get(name):
        i = index.get(normalise_name(name))
        return xy[:, i] if i is not None else nan

    lsh, rsh = get('LShoulder'), get('RShoulder')
    # A hip that is not seen: its shoulder plus the other side's shoulder-to-hip vector.
    lhip = _first(get('LHip'), lsh + get('RHip') - rsh)
    rhip = _first(get('RHip'), rsh + get('LHip') - lsh)
    pelvis = _first(get('Hip'), _mean_all(get('LHip'), get('RHip')), _mean_all(lhip, rhip))
    thorax = _first(get('Thorax'), get('Neck'), _mean_all(lsh, rsh))
    nose = get('Nose')
    head = _first(get('Head'),
                  _mean_seen(get('LEye'), get('REye'), get('LEar'), get('REar')),
                  nose + 0.25 * (nose - thorax))
    joints = {'Hip': pelvis, 'RHip': rhip, 'RAnkle': get('RAnkle'), 'RKnee': get('RKnee'),
              'LHip': lhip, 'LKnee': get('LKnee'), 'LAnkle': get('LAnkle'),
              'Spine': _first(get('Spine'), _mean_all(pelvis, thorax)), 'Thorax': thorax,
              'Neck/Nose': _first(get('Neck/Nose'), nose), 'Head': head,
              'LShoulder': lsh, 'LElbow': get('LElbow'), 'LWrist': get('LWrist'),
              'RShoulder': rsh, 'RElbow': get('RElbow'), 'RWrist': get('RWrist')}
    return np.stack([joints[n] for n in LAYOUTS['h36m']], axis=1)


def upright_ratio(pose):
    """How well poses (N, 17, 2) fit a body: the median over frames of the distance from the
    head to the mid-point of the feet over the largest distance between two joints. About 0.9
    for people standing in the layout the joints are really in; much less in a wrong order."""
    pose = pose[:, list(h36m.INPUT_JOINTS)]
    head = pose[:, h36m.INPUT_JOINTS.index(h36m.JOINT_NAMES.index('Head'))]
    feet = (pose[:, h36m.INPUT_JOINTS.index(3)] + pose[:, h36m.INPUT_JOINTS.index(6)]) / 2
    extent = np.max(np.linalg.norm(pose[:, :, None] - pose[:, None], axis=-1), axis=(1, 2))
    ratio = np.linalg.norm(head - feet, axis=-1) / np.maximum(extent, 1e-6)
    return float(np.nanmedian(ratio))


# How much better the other order of 17 unnamed keypoints must fit a body to be taken as theirs.
ORDER_MARGIN = 0.25


def other_order(points, layout):
    """17 unnamed keypoints (N, 17, 2|3) said to be in `layout`, h36m or coco, the two orders a
    17-keypoint file may hold -> (the other order, its upright_ratio, the claimed order's) when
    the other fits a body by ORDER_MARGIN better, else None (also for any other layout)."""
    if layout not in ('h36m', 'coco'):
        return None
    other = 'coco' if layout == 'h36m' else 'h36m'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')          # frames with a missing joint have no ratio
        claimed = upright_ratio(to_h36m(points, layout, min_confidence=-np.inf))
        alternative = upright_ratio(to_h36m(points, other, min_confidence=-np.inf))
    return (other, alternative, claimed) if alternative > claimed + ORDER_MARGIN else None
