"""Human3.6M constants: joints, skeleton, actions, subjects, cameras.

The one place for the project's conventions (doc/conventions.md): 17 joints selected from the
32 of the motion capture, joint 0 (Hip) is the root, joint 9 (Neck/Nose) is not a network
input; the 16 inputs, the 16 outputs and the sizes derived from them; the actions and the order
of the paper's tables.
"""
import numpy as np

SUBJECTS = (1, 5, 6, 7, 8, 9, 11)
# The kinds of Human3.6M files the project reads (DATASET.source; lib.data reads them).
SOURCES = ('annot', 'videopose3d', 'cdf', 'h5')
# DATASET.source of a folder of motion capture (BVH, ASF/AMC, CMU exponential maps).
MOCAP = 'mocap'
# Its virtual cameras (DATASET.mocap_cameras; lib.data.mocap.virtual_cameras): random ones all
# around, Human3.6M's four, or both.
MOCAP_CAMERAS = ('random', 'h36m', 'mixed')
# The bodies of its training views (DATASET.mocap_bodies; lib.data.mocap.bodies) and the joint
# definitions of its test views (DATASET.mocap_test_placement).
MOCAP_BODIES = ('captured', 'placement', 'proportions', 'varied')
MOCAP_PLACEMENTS = ('captured', 'eyes', 'joint_hips', 'shoulder_thorax', 'detector')
SUBACTIONS = (1, 2)
CAMERAS = (1, 2, 3, 4)
# Human3.6M's camera ids, in the order of the cameras 1..4 of h36m_cameras.json.
CAMERA_IDS = ('54138969', '55011271', '58860488', '60457274')

# Action id -> name (ids 2..16, as in the annotation folder names).
ACTIONS = {
    2: 'Directions', 3: 'Discussion', 4: 'Eating', 5: 'Greeting', 6: 'Phoning',
    7: 'Posing', 8: 'Purchases', 9: 'Sitting', 10: 'SittingDown', 11: 'Smoking',
    12: 'Photo', 13: 'Waiting', 14: 'Walking', 15: 'WalkDog', 16: 'WalkTogether',
}
ACTION_IDS = tuple(sorted(ACTIONS))
# The order of the columns of the paper's Table 1 (Martinez et al. 2017), with their short names.
PAPER_ACTIONS = (('Directions', 'Direct.'), ('Discussion', 'Discuss'), ('Eating', 'Eating'),
                 ('Greeting', 'Greet'), ('Phoning', 'Phone'), ('Photo', 'Photo'),
                 ('Posing', 'Pose'), ('Purchases', 'Purch.'), ('Sitting', 'Sitting'),
                 ('SittingDown', 'SittingD.'), ('Smoking', 'Smoke'), ('Waiting', 'Wait'),
                 ('WalkDog', 'WalkD.'), ('Walking', 'Walk'), ('WalkTogether', 'WalkT.'))
PAPER_ACTION_ORDER = tuple(name for name, _ in PAPER_ACTIONS)

JOINT_NAMES = ('Hip', 'RHip', 'RKnee', 'RFoot', 'LHip', 'LKnee', 'LFoot', 'Spine', 'Thorax',
               'Neck/Nose', 'Head', 'LShoulder', 'LElbow', 'LWrist', 'RShoulder', 'RElbow',
               'RWrist')
NUM_JOINTS = len(JOINT_NAMES)
PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15])
FLIP_PAIRS = ((1, 4), (2, 5), (3, 6), (11, 14), (12, 15), (13, 16))
ROOT = JOINT_NAMES.index('Hip')
NECK_NOSE = JOINT_NAMES.index('Neck/Nose')
# The 16 bones of the tree, (parent, child); and those drawn between the 2D input joints, which
# lack Neck/Nose: the head joined to the thorax.
BONES = tuple((int(PARENTS[j]), j) for j in range(1, NUM_JOINTS))
BONES_2D = tuple((p, c) for p, c in BONES if NECK_NOSE not in (p, c)) + (
    (JOINT_NAMES.index('Thorax'), JOINT_NAMES.index('Head')),)
# One-based indices of the 17 joints among the 32 of the motion capture (the usual line 9 of an
# annotation file).
JOINTS_17_OF_32 = (1, 2, 3, 4, 7, 8, 9, 13, 14, 15, 16, 18, 19, 20, 26, 27, 28)
NUM_JOINTS_32 = 32

# The network sees 16 2D joints (all but Neck/Nose, which 2D detectors do not give reliably)
# and predicts 16 3D joints (all but the root, which is the origin of the targets).
INPUT_JOINTS = tuple(j for j in range(NUM_JOINTS) if j != NECK_NOSE)
OUTPUT_JOINTS = tuple(j for j in range(NUM_JOINTS) if j != ROOT)
INPUT_SIZE = 2 * len(INPUT_JOINTS)      # 32 numbers: u, v of each input joint
OUTPUT_SIZE = 3 * len(OUTPUT_JOINTS)    # 48 numbers: x, y, z of each output joint

RIGHT_JOINTS = (1, 2, 3, 14, 15, 16)
LEFT_JOINTS = (4, 5, 6, 11, 12, 13)
