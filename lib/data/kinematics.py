"""Rotations and joint chains shared by the motion-capture readers and the synthetic skeleton:
whole arrays of frames at a time."""
import numpy as np


def rotation(axis, angles):
    """Rotations about axis 'x', 'y' or 'z' by angles (T,) radians -> (T, 3, 3), right-handed:
    v' = R v turns v counter-clockwise seen from the axis' tip."""
    c, s = np.cos(angles), np.sin(angles)
    one, zero = np.ones_like(angles), np.zeros_like(angles)
    if axis == 'x':
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == 'y':
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def compose(axes, angles):
    """The product R_axes[0] @ R_axes[1] @ ... of rotations about `axes` (a string such as
    'zxy') by angles (T, len(axes)) radians -> (T, 3, 3). With column vectors the last axis
    turns first."""
    angles = np.asarray(angles, dtype=np.float64)
    out = np.broadcast_to(np.eye(3), (len(angles), 3, 3))
    for k, axis in enumerate(axes):
        out = out @ rotation(axis, angles[:, k])
    return out


def euler_zxy(rotations):
    """Rotations (T, 3, 3) -> angles (T, 3) radians about z, x, y with R = Rz Rx Ry (a BVH
    joint's 'Zrotation Xrotation Yrotation'); compose('zxy', angles) gives them back (x within
    +-90 degrees)."""
    r = np.asarray(rotations, dtype=np.float64)
    x = np.arcsin(np.clip(r[:, 2, 1], -1.0, 1.0))
    z = np.arctan2(-r[:, 0, 1], r[:, 1, 1])
    y = np.arctan2(-r[:, 2, 0], r[:, 2, 2])
    return np.stack([z, x, y], axis=1)


# Motion capture stores y up; Human3.6M's world and this project's poses have z up.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
