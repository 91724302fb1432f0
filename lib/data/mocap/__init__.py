"""Motion capture of real people, in the formats tools write it, as Human3.6M's 17 joints;
imports lib.core and the shared modules of lib.data only.

    bvh              BVH: reader, forward kinematics, writer
    asf_amc          Acclaim ASF/AMC (CMU, HDM05): reader, forward kinematics
    cmu_expmap       CMU exponential-map text (Li et al. 2018): reader, forward kinematics
    joints           Human3.6M's 17 joints found in a skeleton of any rig
    take             one file as a take: joints, units, rest frames dropped, 50 Hz, mm, z up
    bodies           other bodies and other placements of the derived joints, made in 3D
    folder           a folder of takes as the dataset arrays (DATASET.source mocap):
                     performers, classes, the split, virtual cameras
    virtual_cameras  Human3.6M's cameras or random ones around a person
"""
