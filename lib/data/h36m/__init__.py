"""Human3.6M's own files, as people hold them, read into world poses or the dataset arrays;
imports lib.core and the shared modules of lib.data only.

    annotation     the seed's annotation folders (annot/s_SS_act_AA_.../matlab_meta.txt):
                   reader and writer
    recordings     recording names (actions, aliases, subaction numbering), files that are
                   not recordings, the checks of a pose array read from a file
    videopose3d    VideoPose3D's data_3d_h36m.npz and the safe reading of its pickled npz files
    cdf            the official release's D3_Positions .cdf files
    hdf5           the original 3d-pose-baseline's 3D_positions .h5 files
    world_sources  DATASET.source videopose3d, cdf or h5 -> the arrays, with the cameras
    detections     2D detections in place of the ground truth (Stacked Hourglass folders,
                   VideoPose3D's data_2d_h36m_<name>.npz)
Each format's writer sits beside its reader (the synthetic set writes every one).
"""
