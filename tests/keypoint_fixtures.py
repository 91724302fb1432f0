"""Keypoint files as real detectors write them, built from one hand-placed person.

The person stands facing the camera in a 1920 x 1080 frame, about 560 px from head to ankles
(so its left side is on the image's right). Joints a detector did not find are written as the
formats write them: (0, 0, 0) in OpenPose, COCO and AlphaPose files, visibility 0 in COCO
annotations, a low visibility in MediaPipe.
"""
import json

import numpy as np

from lib.core.layouts import LAYOUTS, normalise_name

# COCO-17 keypoints (u, v) in pixels, placed by hand.
COCO_PERSON = {
    'Nose': (900, 300), 'LEye': (912, 288), 'REye': (888, 288), 'LEar': (930, 295),
    'REar': (870, 295), 'LShoulder': (960, 380), 'RShoulder': (840, 380),
    'LElbow': (985, 480), 'RElbow': (815, 480), 'LWrist': (995, 570), 'RWrist': (805, 570),
    'LHip': (935, 580), 'RHip': (865, 580), 'LKnee': (940, 700), 'RKnee': (860, 700),
    'LAnkle': (945, 810), 'RAnkle': (855, 810),
}
# Where the other layouts' extra keypoints sit on the same person.
EXTRA = {
    'Neck': (900, 380), 'Hip': (900, 580), 'Head': (900, 245), 'LBigToe': (960, 835),
    'RBigToe': (840, 835), 'LSmallToe': (970, 830), 'RSmallToe': (830, 830),
    'LHeel': (942, 822), 'RHeel': (858, 822), 'Spine': (900, 480), 'Thorax': (900, 380),
    'Neck/Nose': (900, 300), 'LEyeInner': (906, 288), 'LEyeOuter': (918, 288),
    'REyeInner': (894, 288), 'REyeOuter': (882, 288), 'MouthLeft': (908, 318),
    'MouthRight': (892, 318), 'LPinky': (1000, 590), 'RPinky': (800, 590), 'LIndex': (998, 592),
    'RIndex': (802, 592), 'LThumb': (990, 585), 'RThumb': (810, 585), 'LFootIndex': (960, 835),
    'RFootIndex': (840, 835),
}


def person_points(layout, shift=(0.0, 0.0), confidence=0.9):
    """(J, 3) u, v, confidence of the hand-placed person in `layout`; face and hand keypoints
    of Halpe-136 lie around the nose and the wrists."""
    where = {normalise_name(k): v for k, v in list(COCO_PERSON.items()) + list(EXTRA.items())}
    out = []
    for name in LAYOUTS[layout]:
        if name.startswith('Face'):
            k = int(name[4:])
            uv = (900 + 25 * np.cos(k / 68 * 2 * np.pi), 300 + 30 * np.sin(k / 68 * 2 * np.pi))
        elif name[1:5] == 'Hand':
            wrist = COCO_PERSON[name[0] + 'Wrist']
            uv = (wrist[0] + (int(name[5:]) % 5) * 3, wrist[1] + 5 + int(name[5:]) // 5 * 4)
        else:
            uv = where[normalise_name(name)]
        out.append((uv[0] + shift[0], uv[1] + shift[1], confidence))
    return np.array(out, dtype=np.float64)


def hide(points, layout, names):
    """The points with the named keypoints written as not found: (0, 0, 0)."""
    points = points.copy()
    for n in names:
        points[LAYOUTS[layout].index(n)] = 0.0
    return points


def write(path, value):
    path.write_text(json.dumps(value))
    return path


def coco_results(path, frames, layout='coco', ids=None):
    """COCO results (also AlphaPose's output): frames a list of lists of (J, 3) arrays."""
    ids = ids if ids is not None else list(range(len(frames)))
    return write(path, [{'image_id': ids[i], 'category_id': 1, 'keypoints': p.ravel().tolist(),
                         'score': float(1.5 + p[:, 2].mean()), 'box': [800, 230, 200, 600]}
                        for i, people in enumerate(frames) for p in people])


def coco_annotations(path, frames):
    """A COCO keypoint annotation file; confidence 0 becomes visibility 0, others 2."""
    names = ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
             'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
             'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
    anns = []
    for i, people in enumerate(frames):
        for p in people:
            kp = np.concatenate([p[:, :2], np.where(p[:, 2:] > 0, 2, 0)], axis=1)
            anns.append({'id': len(anns) + 1, 'image_id': 1000 + i, 'category_id': 1,
                         'keypoints': kp.astype(int).ravel().tolist(),
                         'num_keypoints': int((p[:, 2] > 0).sum()), 'iscrowd': 0})
    return write(path, {
        'images': [{'id': 1000 + i, 'file_name': '%012d.jpg' % (1000 + i), 'width': 1920,
                    'height': 1080} for i in range(len(frames))],
        'annotations': anns,
        'categories': [{'id': 1, 'name': 'person', 'supercategory': 'person', 'keypoints': names,
                        'skeleton': [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13]]}]})


def openpose_folder(folder, frames, layout='body25'):
    """One <video>_<12 digits>_keypoints.json per frame, as OpenPose --write_json does."""
    folder.mkdir()
    for i, people in enumerate(frames):
        write(folder / ('clip_%012d_keypoints.json' % i), {'version': 1.3, 'people': [
            {'person_id': [-1], 'pose_keypoints_2d': p.ravel().tolist(), 'face_keypoints_2d': [],
             'hand_left_keypoints_2d': [], 'hand_right_keypoints_2d': []} for p in people]})
    return folder


def mmpose_file(path, frames, names=True):
    """mmpose's saved predictions: meta_info (with the keypoint names) and instance_info."""
    meta = {'dataset_name': 'coco', 'num_keypoints': 17}
    if names:
        meta['keypoint_id2name'] = {str(i): n for i, n in enumerate(
            ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
             'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
             'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'])}
    return write(path, {'meta_info': meta, 'instance_info': [
        {'frame_id': i + 1, 'instances': [
            {'keypoints': p[:, :2].tolist(), 'keypoint_scores': p[:, 2].tolist(),
             'bbox': [[800.0, 230.0, 1000.0, 830.0]], 'bbox_score': 0.97} for p in people]}
        for i, people in enumerate(frames)]})


def mediapipe_file(path, frames, size=(1920, 1080), with_size=True):
    """MediaPipe Pose landmarks per frame, in fractions of the image size."""
    out = []
    for i, people in enumerate(frames):
        marks = [[{'x': u / size[0], 'y': v / size[1], 'z': -0.1, 'visibility': c}
                  for u, v, c in p] for p in people]
        out.append({'image': 'frame_%04d.png' % i, 'landmarks': marks[0] if marks else []})
    value = {'image_size': list(size), 'frames': out} if with_size else out
    return write(path, value)


def frames_of(layout, n=3, **kw):
    """n frames of the hand-placed person, moving 4 px a frame: [[points (K, 3)]]."""
    return [[person_points(layout, shift=(4.0 * i, 0.0), **kw)] for i in range(n)]


def format_files(folder):
    """One file (or folder) of each kind in `folder`, three frames of the hand-placed person:
    {kind: (path, layout)}."""
    return {
        'coco-results': (coco_results(folder / 'coco.json', frames_of('coco')), 'coco'),
        'alphapose-halpe26': (coco_results(folder / 'ap26.json', frames_of('halpe26'),
                                           ids=['0.jpg', '1.jpg', '2.jpg']), 'halpe26'),
        'alphapose-halpe136': (coco_results(folder / 'ap136.json', frames_of('halpe136'),
                                            ids=['0.jpg', '1.jpg', '2.jpg']), 'halpe136'),
        'coco-annotations': (coco_annotations(folder / 'ann.json', frames_of('coco')), 'coco'),
        'openpose-body25': (openpose_folder(folder / 'op25', frames_of('body25')), 'body25'),
        'openpose-coco18': (openpose_folder(folder / 'op18', frames_of('openpose18')),
                            'openpose18'),
        'mmpose': (mmpose_file(folder / 'mm.json', frames_of('coco')), 'coco'),
        'mediapipe': (mediapipe_file(folder / 'mp.json', frames_of('mediapipe')), 'mediapipe'),
    }
