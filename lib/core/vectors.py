"""Small vector arithmetic on whole arrays."""
import numpy as np


def unit_vectors(v):
    """Vectors (..., D) scaled to length 1 along the last axis (a zero vector stays zero)."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)
