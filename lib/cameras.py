"""Cameras: world to camera frame, pinhole projection (optionally with lens distortion),
and the real Human3.6M camera parameters of h36m_cameras.json."""
import json
import os

import numpy as np

from lib.errors import PoseError

# The real Human3.6M cameras, shipped with the project (a copy of h36m_cameras.json).
DEFAULT_CAMERAS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               'data', 'h36m_cameras.json')


def world_to_camera(points, rotation, position):
    """X_cam = R @ (X_world - T).

    points (..., 3) world mm; rotation (3, 3) world->camera; position (3,) camera centre in
    world mm. Returns (..., 3) camera-frame mm (x right, y down, z forward).
    """
    return (points - position) @ rotation.T


def camera_to_world(points, rotation, position):
    """Inverse of world_to_camera: (..., 3) camera mm -> (..., 3) world mm."""
    return points @ rotation + position


def project(points, focal, centre, radial=None, tangential=None):
    """Project camera-frame points to pixels.

    points (..., 3) mm with z > 0; focal (2,), centre (2,) pixels. Without distortion this is
    the seed's pinhole model u = fx*x/z + cx, v = fy*y/z + cy. With `radial` (k1, k2, k3) and
    `tangential` (p1, p2) it applies the distortion of the original TensorFlow code
    (cameras.project_point_radial), whose tangential term is kept exactly as written there.
    Returns (..., 2) pixels.
    """
    xy = points[..., :2] / points[..., 2:3]
    if radial is not None:
        k1, k2, k3 = radial
        p1, p2 = tangential
        r2 = np.sum(xy ** 2, axis=-1, keepdims=True)
        radial_gain = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
        tangential_gain = p1 * xy[..., 1:2] + p2 * xy[..., 0:1]
        xy = xy * (radial_gain + tangential_gain) + np.array([p2, p1]) * r2
    return xy * focal + centre


def quaternion_to_matrix(q):
    """Unit quaternion (w, x, y, z) -> (3, 3) rotation matrix."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def load_h36m_cameras(path):
    """Read h36m_cameras.json (VideoPose3D's layout, translations in mm).

    Returns {subject: [camera dict for cameras 1..4]}, each camera dict with 'R' (3, 3)
    world->camera, 'T' (3,) centre in world mm, 'f', 'c' (2,), 'k' (3,), 'p' (2,), 'width',
    'height', 'id'. The quaternion in the file rotates camera axes into the world, so the
    world->camera matrix is its transpose.
    """
    try:
        with open(path) as f:
            raw = json.load(f)
        cameras = {}
        for subject_key, extrinsics in raw['extrinsic'].items():
            subject = int(subject_key.lstrip('S'))
            cameras[subject] = []
            for intrinsic, extrinsic in zip(raw['intrinsic'], extrinsics):
                cameras[subject].append({
                    'id': intrinsic['id'],
                    'R': quaternion_to_matrix(extrinsic['orientation']).T,
                    'T': np.array(extrinsic['translation'], dtype=np.float64),
                    'f': np.array(intrinsic['focal_length'], dtype=np.float64),
                    'c': np.array(intrinsic['center'], dtype=np.float64),
                    'k': np.array(intrinsic['radial_distortion'], dtype=np.float64),
                    'p': np.array(intrinsic['tangential_distortion'], dtype=np.float64),
                    'width': int(intrinsic['res_w']), 'height': int(intrinsic['res_h']),
                })
    except OSError as e:
        raise PoseError('%s: cannot read cameras (%s)' % (path, e.strerror))
    except (ValueError, KeyError, TypeError) as e:
        raise PoseError('%s: not a Human3.6M camera file (%s)' % (path, e))
    return cameras
