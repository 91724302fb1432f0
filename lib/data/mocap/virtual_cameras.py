"""Cameras for motion that was never filmed: Human3.6M's four, or random ones all around the
person, with varied focal lengths, image sizes and principal points and the person anywhere in
the frame, so that a model trained on them has seen what detector files of unknown cameras hold.

A camera is a dict of lib.data.cameras (R world->camera rows right, down, forward; T its
centre in world mm; f, c pixels; k, p no distortion; width, height pixels).
"""
import numpy as np

from lib.core.errors import PoseError
from lib.data.cameras import project, world_to_camera

# Image sizes (width, height) of common cameras: Human3.6M's, HD and 4:3 webcams, a portrait phone.
IMAGE_SIZES = ((1000, 1000), (1920, 1080), (1280, 720), (640, 480), (1080, 1920))
FOCAL_PER_WIDTH = (0.6, 2.0)     # f / longer image side: wide phone lenses to a mild zoom
DISTANCE_MM = (3500.0, 7000.0)   # from the person's path (the issue: 3.5-7 m)
ELEVATION_DEG = (-10.0, 35.0)    # camera above (positive) or below the person's pelvis
NEAREST_MM = 1000.0              # a view with a joint nearer than this in depth is left out


def look_at(position, target):
    """Rotation (3, 3) world->camera of a camera at `position` looking at `target` (world z
    up), level (no roll): rows right, down, forward."""
    forward = target - position
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    if np.linalg.norm(right) < 1e-6:
        raise PoseError('look_at: the camera looks straight up or down')
    right = right / np.linalg.norm(right)
    return np.stack([right, np.cross(forward, right), forward])


def _camera(rotation, position, focal, centre, size):
    return {'R': rotation, 'T': np.asarray(position, np.float64),
            'f': np.array([focal, focal], np.float64), 'c': np.asarray(centre, np.float64),
            'k': np.zeros(3), 'p': np.zeros(2), 'width': int(size[0]), 'height': int(size[1])}


def random_camera(world, rng):
    """One random camera (dict) that sees world poses (F, J, 3) mm (z up): azimuth all around,
    DISTANCE_MM from the path of the pelvis, ELEVATION_DEG, an image size of IMAGE_SIZES, a
    focal length of FOCAL_PER_WIDTH times its longer side, the principal point within 3 % of
    the image centre (the lens widened where the whole motion would not fit), and the camera
    turned so that the person lands at a random place where the whole motion stays in the
    frame (centred when it cannot)."""
    root = world[:, 0]
    centre = root.mean(axis=0)
    reach = np.max(np.linalg.norm(root[:, :2] - centre[:2], axis=1))
    azimuth = rng.uniform(0, 2 * np.pi)
    elevation = np.radians(rng.uniform(*ELEVATION_DEG))
    distance = rng.uniform(*DISTANCE_MM) + reach
    position = centre + distance * np.array([np.cos(azimuth) * np.cos(elevation),
                                             np.sin(azimuth) * np.cos(elevation),
                                             np.sin(elevation)])
    size = IMAGE_SIZES[rng.integers(len(IMAGE_SIZES))]
    focal = rng.uniform(*FOCAL_PER_WIDTH) * max(size)
    principal = np.array(size, np.float64) / 2 * (1 + rng.uniform(-0.03, 0.03, size=2))
    rotation = look_at(position, centre)
    # Where the motion falls with the camera aimed at its centre, and how far it may move.
    uv = project(world_to_camera(world.reshape(-1, 3), rotation, position), focal, principal)
    low, high = uv.min(axis=0), uv.max(axis=0)
    # A lens too long for the whole motion at this distance is widened until it fits in 90 %
    # of the frame (down to FOCAL_PER_WIDTH[0] / 2), as a camera operator would.
    widen = np.clip(np.min(0.9 * np.array(size) / np.maximum(high - low, 1e-9)),
                    FOCAL_PER_WIDTH[0] / 2 * max(size) / focal, 1.0)
    focal *= widen
    low, high = principal + (low - principal) * widen, principal + (high - principal) * widen
    room_low, room_high = -low, np.array(size) - high     # the shifts keeping it in frame
    fits = room_low <= room_high
    shift = np.where(fits, rng.uniform(room_low, np.where(fits, room_high, room_low)), 0.0)
    # Turn the camera (pan, then tilt) so that the aim point moves by about `shift` pixels;
    # perspective moves the rest a little differently, so shrink the turn until all stays in.
    for scale in (1.0, 0.5, 0.25, 0.0):
        turned = _turn(np.arctan(-scale * shift[0] / focal),
                       np.arctan(scale * shift[1] / focal)) @ rotation
        uv = project(world_to_camera(world.reshape(-1, 3), turned, position), focal, principal)
        if np.all((uv >= 0) & (uv < size)) or not np.all(fits):
            break
    return _camera(turned, position, focal, principal, size)


def _turn(pan, tilt):
    """Camera-frame rotation: pan about the camera's y (down) axis, then tilt about its x."""
    cp, sp, ct, st = np.cos(pan), np.sin(pan), np.cos(tilt), np.sin(tilt)
    pan_m = np.array([[cp, 0, -sp], [0, 1, 0], [sp, 0, cp]])
    tilt_m = np.array([[1, 0, 0], [0, ct, st], [0, -st, ct]])
    return tilt_m @ pan_m


def random_cameras(world, count, seed):
    """`count` random cameras (random_camera) of one motion, drawn from `seed` (an int or a
    sequence of ints): the same seed, the same cameras."""
    rng = np.random.default_rng(seed)
    return [random_camera(world, rng) for _ in range(count)]


def centred(world):
    """World poses (F, J, 3) moved on the floor so that the mean of the pelvis path is at the
    origin (the centre of Human3.6M's capture area, which its cameras look at)."""
    centre = world[:, 0].mean(axis=0)
    return world - np.array([centre[0], centre[1], 0.0])


def too_near(world, camera):
    """True when a joint of any frame lies nearer than NEAREST_MM in depth to `camera`."""
    depth = world_to_camera(world, camera['R'], camera['T'])[..., 2]
    return bool(np.min(depth) < NEAREST_MM)
