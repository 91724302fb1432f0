"""BVH files of the rigs people export, in each family's real shape: its hierarchy, joint names
and channel orders as the tool writes them, at its unit, posed over a standing person whose
landmarks are placed by hand below. Each rig lists (joint, parent, landmark); an End Site is a
joint whose name ends in '_end'. `expected` is what the mapping must find: Human3.6M's joint ->
the rig's joint whose start it is."""
import numpy as np

# A standing adult, mm, Y up, facing +Z, the person's left at +X.
LANDMARKS = {
    'pelvis': (0, 950, 0), 'lhip': (90, 900, 0), 'rhip': (-90, 900, 0),
    'lknee': (95, 480, 15), 'rknee': (-95, 480, 15), 'lankle': (95, 80, -10),
    'rankle': (-95, 80, -10), 'ltoe': (95, 10, 120), 'rtoe': (-95, 10, 120),
    'ltoe_tip': (95, 5, 180), 'rtoe_tip': (-95, 5, 180),
    'spine1': (0, 1050, -10), 'spine2': (0, 1180, -15), 'chest': (0, 1300, -10),
    'upper_chest': (0, 1360, -15),
    'neck': (0, 1420, -20), 'neck2': (0, 1480, -10), 'head': (0, 1530, 0),
    'headtop': (0, 1700, 10), 'leye': (32, 1600, 90), 'reye': (-32, 1600, 90),
    'leye_tip': (32, 1600, 110), 'reye_tip': (-32, 1600, 110),
    'lclav': (30, 1380, 0), 'rclav': (-30, 1380, 0),
    'lshoulder': (180, 1390, -10), 'rshoulder': (-180, 1390, -10),
    'lelbow': (450, 1390, -20), 'relbow': (-450, 1390, -20),
    'lwrist': (700, 1390, -10), 'rwrist': (-700, 1390, -10),
    'lhand_end': (790, 1390, -10), 'rhand_end': (-790, 1390, -10),
    'lthumb': (730, 1380, 30), 'rthumb': (-730, 1380, 30),
    'lthumb_end': (760, 1375, 50), 'rthumb_end': (-760, 1375, 50),
}
MM = {'mm': 1.0, 'cm': 10.0, 'm': 1000.0, 'inch': 25.4}


def mid(a, b):
    """The landmark half way between two (for twist and roll helpers), placed by rig_offsets."""
    return 'mid:%s:%s' % (a, b)


def landmark(name):
    """The point (3,) mm of a landmark name or of a mid() of two."""
    if name.startswith('mid:'):
        _, a, b = name.split(':')
        return (np.array(LANDMARKS[a], float) + LANDMARKS[b]) / 2
    return np.array(LANDMARKS[name], float)


def _sides(template):
    """A template's lines with {s} and {side} filled for both sides: {s} l/r, {S} L/R,
    {side} left/right, {Side} Left/Right."""
    out = []
    for line in template:
        if '{' not in line[0] and '{' not in str(line[1]):
            out.append(line)
            continue
        for s in 'lr':
            fill = dict(s=s, S=s.upper(), side={'l': 'left', 'r': 'right'}[s],
                        Side={'l': 'Left', 'r': 'Right'}[s])
            out.append(tuple(x.format(**fill) if isinstance(x, str) else x for x in line))
    return out


ROT_ZXY, ROT_ZYX, ROT_YXZ = 'Zrotation Xrotation Yrotation', 'Zrotation Yrotation Xrotation', \
    'Yrotation Xrotation Zrotation'
POS = 'Xposition Yposition Zposition'

# Each family: prefix of every name, unit, the root's channels, the other joints' channels,
# the rig (joint, parent, landmark: a name of LANDMARKS, or a point), what must be found.
RIGS = {
    'mixamo': dict(prefix='mixamorig:', unit='cm', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('Hips', None, 'pelvis'), ('Spine', 'Hips', 'spine1'), ('Spine1', 'Spine', 'spine2'),
        ('Spine2', 'Spine1', 'chest'), ('Neck', 'Spine2', 'neck'), ('Head', 'Neck', 'head'),
        ('HeadTop_End', 'Head', 'headtop'), ('HeadTop_End_end', 'HeadTop_End', 'headtop'),
        ('{Side}Shoulder', 'Spine2', '{s}clav'), ('{Side}Arm', '{Side}Shoulder', '{s}shoulder'),
        ('{Side}ForeArm', '{Side}Arm', '{s}elbow'), ('{Side}Hand', '{Side}ForeArm', '{s}wrist'),
        ('{Side}HandThumb1', '{Side}Hand', '{s}thumb'),
        ('{Side}HandThumb1_end', '{Side}HandThumb1', '{s}thumb_end'),
        ('{Side}UpLeg', 'Hips', '{s}hip'), ('{Side}Leg', '{Side}UpLeg', '{s}knee'),
        ('{Side}Foot', '{Side}Leg', '{s}ankle'), ('{Side}ToeBase', '{Side}Foot', '{s}toe'),
        ('{Side}Toe_End', '{Side}ToeBase', '{s}toe_tip'),
        ('{Side}Toe_End_end', '{Side}Toe_End', '{s}toe_tip')]),
        expected={'LKnee': 'mixamorig:LeftLeg', 'RElbow': 'mixamorig:RightForeArm',
                  'LShoulder': 'mixamorig:LeftArm', 'Thorax': 'mixamorig:Neck',
                  'Head': 'mixamorig:HeadTop_End'}),
    # Xsens MVN: RightShoulder is the upper arm, RightCollar the clavicle.
    'xsens_mvn': dict(prefix='', unit='cm', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('Hips', None, 'pelvis'), ('Chest', 'Hips', 'spine1'), ('Chest2', 'Chest', 'spine2'),
        ('Chest3', 'Chest2', 'chest'), ('Chest4', 'Chest3', 'upper_chest'),
        ('Neck', 'Chest4', 'neck'), ('Head', 'Neck', 'head'), ('Head_end', 'Head', 'headtop'),
        ('{Side}Collar', 'Chest4', '{s}clav'), ('{Side}Shoulder', '{Side}Collar', '{s}shoulder'),
        ('{Side}Elbow', '{Side}Shoulder', '{s}elbow'), ('{Side}Wrist', '{Side}Elbow', '{s}wrist'),
        ('{Side}Wrist_end', '{Side}Wrist', '{s}hand_end'),
        ('{Side}Hip', 'Hips', '{s}hip'), ('{Side}Knee', '{Side}Hip', '{s}knee'),
        ('{Side}Ankle', '{Side}Knee', '{s}ankle'), ('{Side}Toe', '{Side}Ankle', '{s}toe'),
        ('{Side}Toe_end', '{Side}Toe', '{s}toe_tip')]),
        expected={'RShoulder': 'RightShoulder', 'RElbow': 'RightElbow', 'LWrist': 'LeftWrist',
                  'LKnee': 'LeftKnee', 'Thorax': 'Neck'}),
    # Perception Neuron (Axis Neuron): six channels on every joint, holding the bone's offset.
    'perception_neuron': dict(prefix='', unit='cm', root=POS + ' ' + ROT_YXZ,
                              joints=POS + ' ' + ROT_YXZ, rig=_sides([
        ('Hips', None, 'pelvis'), ('{Side}UpLeg', 'Hips', '{s}hip'),
        ('{Side}Leg', '{Side}UpLeg', '{s}knee'), ('{Side}Foot', '{Side}Leg', '{s}ankle'),
        ('{Side}Foot_end', '{Side}Foot', '{s}toe'),
        ('Spine', 'Hips', 'spine1'), ('Spine1', 'Spine', 'spine2'), ('Spine2', 'Spine1', 'chest'),
        ('Spine3', 'Spine2', 'upper_chest'), ('Neck', 'Spine3', 'neck'),
        ('Neck1', 'Neck', 'neck2'), ('Head', 'Neck1', 'head'), ('Head_end', 'Head', 'headtop'),
        ('{Side}Shoulder', 'Spine3', '{s}clav'), ('{Side}Arm', '{Side}Shoulder', '{s}shoulder'),
        ('{Side}ForeArm', '{Side}Arm', '{s}elbow'), ('{Side}Hand', '{Side}ForeArm', '{s}wrist'),
        ('{Side}HandThumb1', '{Side}Hand', '{s}thumb'),
        ('{Side}HandThumb1_end', '{Side}HandThumb1', '{s}thumb_end')]),
        expected={'RKnee': 'RightLeg', 'LElbow': 'LeftForeArm', 'Thorax': 'Neck'}),
    'rokoko': dict(prefix='', unit='cm', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('Hips', None, 'pelvis'), ('Spine', 'Hips', 'spine1'), ('Spine1', 'Spine', 'spine2'),
        ('Spine2', 'Spine1', 'chest'), ('Spine3', 'Spine2', 'upper_chest'),
        ('Neck', 'Spine3', 'neck'), ('Head', 'Neck', 'head'), ('Head_end', 'Head', 'headtop'),
        ('{Side}Shoulder', 'Spine3', '{s}clav'), ('{Side}Arm', '{Side}Shoulder', '{s}shoulder'),
        ('{Side}ForeArm', '{Side}Arm', '{s}elbow'), ('{Side}Hand', '{Side}ForeArm', '{s}wrist'),
        ('{Side}Hand_end', '{Side}Hand', '{s}hand_end'),
        ('{Side}Thigh', 'Hips', '{s}hip'), ('{Side}Shin', '{Side}Thigh', '{s}knee'),
        ('{Side}Foot', '{Side}Shin', '{s}ankle'), ('{Side}Toe', '{Side}Foot', '{s}toe'),
        ('{Side}Toe_end', '{Side}Toe', '{s}toe_tip')]),
        expected={'LKnee': 'LeftShin', 'RShoulder': 'RightArm', 'LHip': 'LeftThigh'}),
    # A Vicon-style rig in mm, its limbs with roll helpers in the chain.
    'vicon': dict(prefix='', unit='mm', root=POS + ' ' + ROT_ZYX, joints=ROT_ZYX, rig=_sides([
        ('Hips', None, 'pelvis'), ('{Side}UpLeg', 'Hips', '{s}hip'),
        ('{Side}UpLegRoll', '{Side}UpLeg', mid('{s}hip', '{s}knee')),
        ('{Side}Leg', '{Side}UpLegRoll', '{s}knee'),
        ('{Side}LegRoll', '{Side}Leg', mid('{s}knee', '{s}ankle')),
        ('{Side}Foot', '{Side}LegRoll', '{s}ankle'), ('{Side}ToeBase', '{Side}Foot', '{s}toe'),
        ('{Side}ToeBase_end', '{Side}ToeBase', '{s}toe_tip'),
        ('Spine', 'Hips', 'spine1'), ('Spine1', 'Spine', 'chest'), ('Neck', 'Spine1', 'neck'),
        ('Head', 'Neck', 'head'), ('Head_end', 'Head', 'headtop'),
        ('{Side}Shoulder', 'Spine1', '{s}clav'), ('{Side}Arm', '{Side}Shoulder', '{s}shoulder'),
        ('{Side}ArmRoll', '{Side}Arm', mid('{s}shoulder', '{s}elbow')),
        ('{Side}ForeArm', '{Side}ArmRoll', '{s}elbow'),
        ('{Side}ForeArmRoll', '{Side}ForeArm', mid('{s}elbow', '{s}wrist')),
        ('{Side}Hand', '{Side}ForeArmRoll', '{s}wrist'),
        ('{Side}Hand_end', '{Side}Hand', '{s}hand_end')]),
        expected={'LKnee': 'LeftLeg', 'RElbow': 'RightForeArm', 'LHip': 'LeftUpLeg',
                  'RShoulder': 'RightArm'}),
    # GAMES-style: short names, metres, a head bone named after the torso.
    'games': dict(prefix='', unit='m', root=POS + ' ' + ROT_ZYX, joints=ROT_ZYX, rig=_sides([
        ('pelvis', None, 'pelvis'), ('{s}Hip', 'pelvis', '{s}hip'),
        ('{s}Knee', '{s}Hip', '{s}knee'), ('{s}Ankle', '{s}Knee', '{s}ankle'),
        ('{s}Ankle_end', '{s}Ankle', '{s}toe'), ('pelvis_lowerback', 'pelvis', 'spine2'),
        ('lowerback_torso', 'pelvis_lowerback', 'chest'), ('torso_head', 'lowerback_torso', 'head'),
        ('torso_head_end', 'torso_head', 'headtop'),
        ('{s}Shoulder', 'lowerback_torso', '{s}shoulder'), ('{s}Elbow', '{s}Shoulder', '{s}elbow'),
        ('{s}Wrist', '{s}Elbow', '{s}wrist'), ('{s}Wrist_end', '{s}Wrist', '{s}hand_end')]),
        expected={'LKnee': 'lKnee', 'RFoot': 'rAnkle', 'LElbow': 'lElbow',
                  'HeadBase': 'torso_head'}),
    # The commercial release that the reader used to refuse for its names.
    'commercial': dict(prefix='', unit='cm', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('Hips', None, 'pelvis'), ('Spine', 'Hips', 'spine2'), ('Chest', 'Spine', 'chest'),
        ('Neck', 'Chest', 'neck'), ('Head', 'Neck', 'head'), ('Head_end', 'Head', 'headtop'),
        ('Shoulder_{S}', 'Chest', '{s}clav'), ('UpperArm_{S}', 'Shoulder_{S}', '{s}shoulder'),
        ('LowerArm_{S}', 'UpperArm_{S}', '{s}elbow'), ('Hand_{S}', 'LowerArm_{S}', '{s}wrist'),
        ('Hand_{S}_end', 'Hand_{S}', '{s}hand_end'),
        ('UpperLeg_{S}', 'Hips', '{s}hip'), ('LowerLeg_{S}', 'UpperLeg_{S}', '{s}knee'),
        ('Foot_{S}', 'LowerLeg_{S}', '{s}ankle'), ('Toes_{S}', 'Foot_{S}', '{s}toe'),
        ('Toes_{S}_end', 'Toes_{S}', '{s}toe_tip')]),
        expected={'RKnee': 'LowerLeg_R', 'LShoulder': 'UpperArm_L', 'RWrist': 'Hand_R'}),
    'unity_humanoid': dict(prefix='', unit='m', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('Hips', None, 'pelvis'), ('Spine', 'Hips', 'spine2'), ('Chest', 'Spine', 'chest'),
        ('UpperChest', 'Chest', 'upper_chest'), ('Neck', 'UpperChest', 'neck'),
        ('Head', 'Neck', 'head'), ('Head_end', 'Head', 'headtop'),
        ('{Side}Shoulder', 'UpperChest', '{s}clav'),
        ('{Side}UpperArm', '{Side}Shoulder', '{s}shoulder'),
        ('{Side}LowerArm', '{Side}UpperArm', '{s}elbow'),
        ('{Side}Hand', '{Side}LowerArm', '{s}wrist'), ('{Side}Hand_end', '{Side}Hand', '{s}hand_end'),
        ('{Side}UpperLeg', 'Hips', '{s}hip'), ('{Side}LowerLeg', '{Side}UpperLeg', '{s}knee'),
        ('{Side}Foot', '{Side}LowerLeg', '{s}ankle'), ('{Side}Toes', '{Side}Foot', '{s}toe'),
        ('{Side}Toes_end', '{Side}Toes', '{s}toe_tip')]),
        expected={'LKnee': 'LeftLowerLeg', 'RElbow': 'RightLowerArm'}),
    # SMPL: L_Foot is the toes, L_Collar the clavicle.
    'smpl': dict(prefix='', unit='m', root=POS + ' ' + ROT_ZYX, joints=ROT_ZYX, rig=_sides([
        ('Pelvis', None, 'pelvis'), ('{S}_Hip', 'Pelvis', '{s}hip'),
        ('{S}_Knee', '{S}_Hip', '{s}knee'), ('{S}_Ankle', '{S}_Knee', '{s}ankle'),
        ('{S}_Foot', '{S}_Ankle', '{s}toe'), ('{S}_Foot_end', '{S}_Foot', '{s}toe_tip'),
        ('Spine1', 'Pelvis', 'spine1'), ('Spine2', 'Spine1', 'spine2'), ('Spine3', 'Spine2', 'chest'),
        ('Neck', 'Spine3', 'neck'), ('Head', 'Neck', 'head'), ('Head_end', 'Head', 'headtop'),
        ('{S}_Collar', 'Spine3', '{s}clav'), ('{S}_Shoulder', '{S}_Collar', '{s}shoulder'),
        ('{S}_Elbow', '{S}_Shoulder', '{s}elbow'), ('{S}_Wrist', '{S}_Elbow', '{s}wrist'),
        ('{S}_Hand', '{S}_Wrist', '{s}hand_end'), ('{S}_Hand_end', '{S}_Hand', '{s}hand_end')]),
        expected={'LFoot': 'L_Ankle', 'RShoulder': 'R_Shoulder', 'LWrist': 'L_Wrist'}),
    'blender': dict(prefix='', unit='m', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('hips', None, 'pelvis'), ('spine', 'hips', 'spine2'), ('chest', 'spine', 'chest'),
        ('neck', 'chest', 'neck'), ('head', 'neck', 'head'), ('head_end', 'head', 'headtop'),
        ('shoulder.{S}', 'chest', '{s}clav'), ('upper_arm.{S}', 'shoulder.{S}', '{s}shoulder'),
        ('forearm.{S}', 'upper_arm.{S}', '{s}elbow'), ('hand.{S}', 'forearm.{S}', '{s}wrist'),
        ('hand.{S}_end', 'hand.{S}', '{s}hand_end'),
        ('thigh.{S}', 'hips', '{s}hip'), ('shin.{S}', 'thigh.{S}', '{s}knee'),
        ('foot.{S}', 'shin.{S}', '{s}ankle'), ('toe.{S}', 'foot.{S}', '{s}toe'),
        ('toe.{S}_end', 'toe.{S}', '{s}toe_tip')]),
        expected={'LKnee': 'shin.L', 'RElbow': 'forearm.R'}),
    # Unreal's mannequin: twist joints hang off the limbs, beside the chain.
    'unreal': dict(prefix='', unit='cm', root=POS + ' ' + ROT_ZXY, joints=ROT_ZXY, rig=_sides([
        ('pelvis', None, 'pelvis'), ('spine_01', 'pelvis', 'spine1'),
        ('spine_02', 'spine_01', 'spine2'), ('spine_03', 'spine_02', 'chest'),
        ('neck_01', 'spine_03', 'neck'), ('head', 'neck_01', 'head'), ('head_end', 'head', 'headtop'),
        ('clavicle_{s}', 'spine_03', '{s}clav'), ('upperarm_{s}', 'clavicle_{s}', '{s}shoulder'),
        ('upperarm_twist_01_{s}', 'upperarm_{s}', mid('{s}shoulder', '{s}elbow')),
        ('upperarm_twist_01_{s}_end', 'upperarm_twist_01_{s}', mid('{s}shoulder', '{s}elbow')),
        ('lowerarm_{s}', 'upperarm_{s}', '{s}elbow'), ('hand_{s}', 'lowerarm_{s}', '{s}wrist'),
        ('hand_{s}_end', 'hand_{s}', '{s}hand_end'),
        ('thigh_{s}', 'pelvis', '{s}hip'), ('calf_{s}', 'thigh_{s}', '{s}knee'),
        ('calf_twist_01_{s}', 'calf_{s}', mid('{s}knee', '{s}ankle')),
        ('calf_twist_01_{s}_end', 'calf_twist_01_{s}', mid('{s}knee', '{s}ankle')),
        ('foot_{s}', 'calf_{s}', '{s}ankle'), ('ball_{s}', 'foot_{s}', '{s}toe'),
        ('ball_{s}_end', 'ball_{s}', '{s}toe_tip')]),
        expected={'LKnee': 'calf_l', 'RElbow': 'lowerarm_r', 'Thorax': 'neck_01'}),
    # 3ds Max Biped: the clavicles hang off the neck.
    'max_biped': dict(prefix='', unit='inch', root=POS + ' ' + ROT_ZYX, joints=ROT_ZYX, rig=_sides([
        ('Bip01', None, 'pelvis'), ('Bip01 Pelvis', 'Bip01', 'pelvis'),
        ('Bip01 Spine', 'Bip01 Pelvis', 'spine1'), ('Bip01 Spine1', 'Bip01 Spine', 'chest'),
        ('Bip01 Neck', 'Bip01 Spine1', 'neck'), ('Bip01 Head', 'Bip01 Neck', 'head'),
        ('Bip01 HeadNub', 'Bip01 Head', 'headtop'), ('Bip01 HeadNub_end', 'Bip01 HeadNub', 'headtop'),
        ('Bip01 {S} Clavicle', 'Bip01 Neck', '{s}clav'),
        ('Bip01 {S} UpperArm', 'Bip01 {S} Clavicle', '{s}shoulder'),
        ('Bip01 {S} Forearm', 'Bip01 {S} UpperArm', '{s}elbow'),
        ('Bip01 {S} Hand', 'Bip01 {S} Forearm', '{s}wrist'),
        ('Bip01 {S} Hand_end', 'Bip01 {S} Hand', '{s}hand_end'),
        ('Bip01 {S} Thigh', 'Bip01 Spine', '{s}hip'), ('Bip01 {S} Calf', 'Bip01 {S} Thigh', '{s}knee'),
        ('Bip01 {S} Foot', 'Bip01 {S} Calf', '{s}ankle'), ('Bip01 {S} Toe0', 'Bip01 {S} Foot', '{s}toe'),
        ('Bip01 {S} Toe0_end', 'Bip01 {S} Toe0', '{s}toe_tip')]),
        expected={'LKnee': 'Bip01 L Calf', 'RShoulder': 'Bip01 R UpperArm',
                  'Thorax': 'Bip01 Neck'}),
    # CMU's ASF names as a BVH: zero-length joints (hipjoint, lowerneck), the wrist and hand.
    'cmu_asf_names': dict(prefix='', unit='inch', root=POS + ' ' + ROT_ZYX, joints=ROT_ZYX, rig=_sides([
        ('hip', None, 'pelvis'), ('{s}hipjoint', 'hip', 'pelvis'), ('{s}femur', '{s}hipjoint', '{s}hip'),
        ('{s}tibia', '{s}femur', '{s}knee'), ('{s}foot', '{s}tibia', '{s}ankle'),
        ('{s}toes', '{s}foot', '{s}toe'), ('{s}toes_end', '{s}toes', '{s}toe_tip'),
        ('lowerback', 'hip', 'spine1'), ('upperback', 'lowerback', 'spine2'),
        ('thorax', 'upperback', 'chest'), ('lowerneck', 'thorax', 'neck'),
        ('upperneck', 'lowerneck', 'neck2'), ('head', 'upperneck', 'head'), ('head_end', 'head', 'headtop'),
        ('{s}clavicle', 'thorax', 'neck'), ('{s}humerus', '{s}clavicle', '{s}shoulder'),
        ('{s}radius', '{s}humerus', '{s}elbow'), ('{s}wrist', '{s}radius', '{s}wrist'),
        ('{s}hand', '{s}wrist', mid('{s}wrist', '{s}hand_end')),
        ('{s}hand_end', '{s}hand', '{s}hand_end')]),
        expected={'LKnee': 'ltibia', 'RWrist': 'rwrist', 'LElbow': 'lradius',
                  'LHip': 'lfemur', 'Thorax': 'lowerneck'}),
    # The cgspeed (Daz) conversion of CMU: the head ends at the eyes.
    'cmu_daz': dict(prefix='', unit='cm', root=POS + ' ' + ROT_ZYX, joints=ROT_ZXY, rig=_sides([
        ('hip', None, 'pelvis'), ('abdomen', 'hip', 'spine2'), ('chest', 'abdomen', 'chest'),
        ('neck', 'chest', 'neck'), ('head', 'neck', 'head'),
        ('{side}Eye', 'head', '{s}eye'), ('{side}Eye_end', '{side}Eye', '{s}eye_tip'),
        ('{s}Collar', 'chest', '{s}clav'), ('{s}Shldr', '{s}Collar', '{s}shoulder'),
        ('{s}ForeArm', '{s}Shldr', '{s}elbow'), ('{s}Hand', '{s}ForeArm', '{s}wrist'),
        ('{s}Hand_end', '{s}Hand', '{s}hand_end'),
        ('{s}Buttock', 'hip', '{s}hip'), ('{s}Thigh', '{s}Buttock', '{s}hip'),
        ('{s}Shin', '{s}Thigh', '{s}knee'), ('{s}Foot', '{s}Shin', '{s}ankle'),
        ('{s}Foot_end', '{s}Foot', '{s}toe')]),
        expected={'LKnee': 'lShin', 'RElbow': 'rForeArm', 'Thorax': 'neck'}),
}


def rig_offsets(spec):
    """(names, parents, offsets (J, 3) in the rig's unit) of a family of RIGS."""
    names = [spec['prefix'] + name for name, _, _ in spec['rig']]
    index = {name: k for k, (name, _, _) in enumerate(spec['rig'])}
    where = [landmark(p) for _, _, p in spec['rig']]
    parents = [index[parent] if parent is not None else -1 for _, parent, _ in spec['rig']]
    offsets = [where[k] - (where[p] if p >= 0 else 0) for k, p in enumerate(parents)]
    return names, parents, np.array(offsets) / MM[spec['unit']]


def rig_bvh(spec, frames=6, seed=0, rest_frame=False):
    """The BVH text of a family standing with every joint turning a little from frame to frame
    (a rest frame first when `rest_frame`), the root a few cm from its place."""
    names, parents, offsets = rig_offsets(spec)
    rng = np.random.default_rng(seed)
    children = {j: [k for k, p in enumerate(parents) if p == j] for j in range(len(names))}
    lines, columns = ['HIERARCHY'], []

    def write(j, depth):
        pad = '\t' * depth
        end = names[j].endswith('_end') and not children[j]
        lines.append(pad + ('End Site' if end else ('ROOT ' if parents[j] < 0 else 'JOINT ')
                            + names[j]))
        lines.append(pad + '{')
        lines.append(pad + '\tOFFSET %s' % ' '.join('%.6f' % v for v in offsets[j]))
        if not end:
            chans = (spec['root'] if parents[j] < 0 else spec['joints']).split()
            lines.append(pad + '\tCHANNELS %d %s' % (len(chans), ' '.join(chans)))
            columns.append((j, chans))
        for k in children[j]:
            write(k, depth + 1)
        lines.append(pad + '}')
    write(0, 0)
    rows = []
    for f in range(frames + rest_frame):
        row = []
        for j, chans in columns:
            for c in chans:
                if c.endswith('position'):
                    axis = 'XYZ'.index(c[0])
                    row.append(offsets[j][axis] + (rng.normal(0, 3.0 / MM[spec['unit']])
                                                   if parents[j] < 0 and f else 0.0))
                else:
                    row.append(0.0 if (rest_frame and f == 0) else rng.normal(0, 6.0))
        rows.append(' '.join('%.6f' % v for v in row))
    lines += ['MOTION', 'Frames: %d' % len(rows), 'Frame Time: 0.0333333'] + rows
    return '\n'.join(lines) + '\n'
