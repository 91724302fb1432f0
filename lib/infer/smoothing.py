"""Smoothing lifted poses over time, and the jitter it removes."""
import numpy as np
from scipy.ndimage import gaussian_filter1d


def _runs(rows):
    """Index arrays of the runs of consecutive frame numbers in rows (K,)."""
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    return np.split(np.arange(len(rows)), breaks)


def jitter(poses, rows):
    """Mean norm of the second difference over time of poses (K, 17, 3) mm, over each run of
    consecutive frames longer than 2 (mm per frame^2); 0 when there is none."""
    acc = [np.linalg.norm(np.diff(poses[part], 2, axis=0), axis=-1).mean()
           for part in _runs(rows) if len(part) > 2]
    return float(np.mean(acc)) if acc else 0.0


def smooth_track(poses, rows, sigma):
    """Gaussian smoothing (std `sigma` frames) of poses (K, 17, 3) over each run of consecutive
    frames (rows (K,) their frame numbers); returns the smoothed poses and the jitter before and
    after."""
    out = poses.copy()
    for part in _runs(rows):
        if len(part) > 2:
            out[part] = gaussian_filter1d(poses[part], sigma, axis=0, mode='nearest')
    return out, jitter(poses, rows), jitter(out, rows)
