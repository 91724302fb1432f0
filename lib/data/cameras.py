"""Cameras: world to camera frame, pinhole projection (optionally with lens distortion),
and the real Human3.6M camera parameters of h36m_cameras.json."""
import json
import logging
import re

import numpy as np

from lib.core.errors import PoseError
from lib.core.h36m import CAMERA_IDS

log = logging.getLogger(__name__)


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
        if len(raw['intrinsic']) != len(CAMERA_IDS):
            raise PoseError('%s: %d cameras under "intrinsic", expected the 4 of Human3.6M'
                            % (path, len(raw['intrinsic'])))
        for subject_key, extrinsics in raw['extrinsic'].items():
            subject = int(subject_key.lstrip('S'))
            if len(extrinsics) != len(CAMERA_IDS):
                raise PoseError('%s: %s has %d cameras under "extrinsic", expected 4'
                                % (path, subject_key, len(extrinsics)))
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


# Image sizes of the Human3.6M cameras by id (width, height) px: the original's cameras.h5
# holds none, and two of the four cameras film 1000 x 1002 (h36m_cameras.json says the same).
IMAGE_SIZES = {'54138969': (1000, 1002), '55011271': (1000, 1000),
               '58860488': (1000, 1000), '60457274': (1000, 1002)}
H5_FIELDS = {'R': (3, 3), 'T': (3, 1), 'f': (2, 1), 'c': (2, 1), 'k': (3, 1), 'p': (2, 1)}
SUBJECT_GROUP = re.compile(r'subject(\d+)')


def load_cameras_h5(path):
    """Read the original 3d-pose-baseline's cameras.h5: groups subject<k>/camera<j> (j = 1..4)
    with R (3, 3), T (3, 1), f (2, 1), c (2, 1), k (3, 1), p (2, 1) and Name (the camera id as
    character codes, float64 in the released file). Its code transposes the stored R and
    computes X_cam = R (X - T), so the file holds the transpose of our world->camera matrix; T
    is the camera centre in world mm. Every other top-level entry (the released file has a
    dataset '3dtest' of one pose) is skipped. The image size comes from the camera id
    (IMAGE_SIZES); the file holds none. Returns the layout of load_h36m_cameras."""
    import h5py
    try:
        with h5py.File(path, 'r') as f:
            groups = {}
            for key in f:
                match = SUBJECT_GROUP.fullmatch(key)
                if match and isinstance(f[key], h5py.Group):
                    groups[int(match.group(1))] = key
                else:
                    log.debug('%s: skipped %r (not a subject<k> group)', path, key)
            if not groups:
                raise PoseError('%s: not a Human3.6M cameras.h5: no subject<k> group '
                                '(holds %s)' % (path, sorted(f)[:8]))
            return {subject: [_h5_camera(f, path, '%s/camera%d' % (key, j)) for j in range(1, 5)]
                    for subject, key in sorted(groups.items())}
    except OSError as e:
        raise PoseError('%s: cannot read cameras (%s)' % (path, e))


def _h5_camera(f, path, name):
    """One camera group of cameras.h5 -> the camera dict of load_h36m_cameras."""
    import h5py
    group = f.get(name)
    if not isinstance(group, h5py.Group):
        raise PoseError('%s: group %s is missing' % (path, name))
    lacking = [k for k in list(H5_FIELDS) + ['Name'] if not isinstance(group.get(k), h5py.Dataset)]
    if lacking:
        raise PoseError('%s: group %s lacks %s' % (path, name, ', '.join(lacking)))
    camera = {}
    for key, shape in H5_FIELDS.items():
        value = group[key][()]
        if not np.issubdtype(np.asarray(value).dtype, np.number) or \
                np.size(value) != np.prod(shape):
            raise PoseError('%s: %s/%s has shape %s, expected %s numbers'
                            % (path, name, key, np.shape(value), shape))
        camera[key] = np.asarray(value, dtype=np.float64).reshape(shape)
    try:
        camera_id = ''.join(chr(int(v)) for v in np.ravel(group['Name'][()]))
    except (TypeError, ValueError, OverflowError):
        raise PoseError('%s: %s/Name is not a camera id as character codes' % (path, name))
    width, height = IMAGE_SIZES.get(camera_id, (1000, 1000))
    if camera_id not in IMAGE_SIZES:
        log.warning('%s: %s has camera id %r, not a Human3.6M camera: image size taken as '
                    '1000 x 1000', path, name, camera_id)
    return {'id': camera_id, 'R': camera['R'].T, 'T': camera['T'].ravel(),
            'f': camera['f'].ravel(), 'c': camera['c'].ravel(), 'k': camera['k'].ravel(),
            'p': camera['p'].ravel(), 'width': width, 'height': height}


def save_cameras_h5(cameras, path):
    """Write cameras (load_h36m_cameras' layout) in the shape of the original's released
    cameras.h5: subject<k>/camera<j> groups with column vectors and Name as float64 character
    codes, and the top-level dataset '3dtest' (96, 1) that the released file also holds."""
    import h5py
    with h5py.File(path, 'w') as f:
        f['3dtest'] = np.zeros((96, 1), dtype=np.float64)
        for subject, cams in cameras.items():
            for j, cam in enumerate(cams, start=1):
                g = f.create_group('subject%d/camera%d' % (subject, j))
                g['R'] = cam['R'].T
                g['T'] = cam['T'].reshape(3, 1)
                for key in ('f', 'c', 'k', 'p'):
                    g[key] = cam[key].reshape(-1, 1)
                g['Name'] = np.array([ord(ch) for ch in str(cam['id'])],
                                     dtype=np.float64).reshape(-1, 1)


SHAPES = {'R': (3, 3), 'T': (3,), 'f': (2,), 'c': (2,), 'k': (3,), 'p': (2,)}


def check_cameras(cameras, path):
    """Refuse cameras that cannot project right, whatever file they came from: every subject
    must have the 4 Human3.6M cameras, each with finite values of the right shapes, a rotation
    (R R^T = I, det R = +1), focal lengths and an image size > 0. Returns `cameras`."""
    if not cameras:
        raise PoseError('%s: no subject has cameras' % path)
    for subject, cams in cameras.items():
        if len(cams) != len(CAMERA_IDS):
            raise PoseError('%s: subject %s has %d cameras, expected the 4 of Human3.6M'
                            % (path, subject, len(cams)))
        for j, cam in enumerate(cams, start=1):
            where = '%s: subject %s camera %d' % (path, subject, j)
            for key, shape in SHAPES.items():
                value = np.asarray(cam[key])
                if value.shape != shape or not np.all(np.isfinite(value)):
                    raise PoseError('%s: %s must be %s finite numbers, got shape %s'
                                    % (where, key, shape, value.shape))
            rot = np.asarray(cam['R'])
            if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-3) or np.linalg.det(rot) < 0:
                raise PoseError('%s: R is not a rotation (R R^T = I and det R = +1)' % where)
            if not (np.all(np.asarray(cam['f']) > 0) and cam['width'] > 0 and cam['height'] > 0):
                raise PoseError('%s: the focal lengths and the image size must be > 0' % where)
    return cameras


def load_cameras(path):
    """The cameras of DATASET.cameras: a .h5 file (the original's) or a .json file
    (VideoPose3D's layout), checked (check_cameras)."""
    if path.endswith('.h5'):
        return check_cameras(load_cameras_h5(path), path)
    return check_cameras(load_h36m_cameras(path), path)
