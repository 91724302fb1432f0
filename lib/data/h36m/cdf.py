"""The official Human3.6M release's CDF files: S1/MyPoseFeatures/D3_Positions/<Action>.cdf,
variable Pose (1, N, 96), world mm. Reader and writer (for the synthetic set) of one file.
"""
import os

import numpy as np

from lib.core.errors import PoseError
from lib.core.files import atomic_path


def read_cdf_file(path):
    import cdflib
    try:
        pose = np.asarray(cdflib.CDF(path).varget('Pose'))
    except Exception as e:          # cdflib raises plain Exceptions of several kinds
        raise PoseError('%s: cannot read variable Pose (%s)' % (path, e))
    if pose.ndim not in (2, 3) or pose.shape[-1] != 96 or (pose.ndim == 3 and pose.shape[0] != 1):
        raise PoseError('%s: Pose has shape %s, expected (1, N, 96)' % (path, pose.shape))
    return pose.reshape(-1, 96)


def write_cdf(path, poses):
    """Write world poses (N, 32, 3) mm as the official release's D3_Positions .cdf."""
    from cdflib.cdfwrite import CDF
    os.makedirs(os.path.dirname(path), exist_ok=True)
    n = len(poses)
    with atomic_path(path, '.tmp.cdf') as tmp:
        if os.path.exists(tmp):          # cdflib refuses to write over a file
            os.remove(tmp)
        cdf = CDF(tmp)
        cdf.write_var({'Variable': 'Pose', 'Data_Type': CDF.CDF_FLOAT, 'Num_Elements': 1,
                       'Rec_Vary': True, 'Dim_Sizes': [n, 96]},
                      var_data=poses.reshape(1, n, 96).astype(np.float32))
        cdf.close()
