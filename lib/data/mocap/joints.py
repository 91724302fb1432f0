"""Human3.6M's 17 joints found in a motion-capture skeleton of any rig.

Readers give joint positions by name (lib.data.mocap.bvh: a joint's start, '<joint>_end' for an
End Site; lib.data.mocap.asf_amc: a bone's start and its far end '<bone>_end'). MAPPING finds each
Human3.6M joint in any of the common namings, CMU's ASF names (lfemur, ltibia, ...), the
cgspeed/Daz names (lThigh, lShin, ...), Mixamo's (mixamorig:LeftUpLeg, ...) and the
Hips/LeftUpLeg/LeftLeg family; a skeleton lacking one is refused with the joints missing.

Human3.6M's joints are not the markers' joint centres (doc/data.md, "Motion capture"): its
pelvis is the mid-point of the hips, its spine the mid-point of pelvis and thorax, its thorax
the base of the neck, its head joint the top of the head (the head's end, or, for skeletons
whose head ends at the eyes, 1.5 times the head-to-eyes vector above the eyes) and its
Neck/Nose half way from the head's base to its top. These are approximations of a few cm.
"""
import re

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError

# Each Human3.6M joint that is a joint of the skeleton: the names it has in each family.
MAPPING = {
    'RHip': ('rfemur', 'rthigh', 'rightupleg', 'rupleg', 'rightthigh', 'rhip', 'righthip'),
    'RKnee': ('rtibia', 'rshin', 'rightleg', 'rknee', 'rightknee', 'rightshin', 'rleg'),
    'RFoot': ('rfoot', 'rightfoot', 'rankle', 'rightankle'),
    'LHip': ('lfemur', 'lthigh', 'leftupleg', 'lupleg', 'leftthigh', 'lhip', 'lefthip'),
    'LKnee': ('ltibia', 'lshin', 'leftleg', 'lknee', 'leftknee', 'leftshin', 'lleg'),
    'LFoot': ('lfoot', 'leftfoot', 'lankle', 'leftankle'),
    'Thorax': ('lowerneck', 'neck', 'neck1', 'neckbase'),
    'HeadBase': ('head',),
    'LShoulder': ('lhumerus', 'lshldr', 'leftarm', 'lshoulder', 'leftshoulder', 'lupperarm',
                  'leftupperarm'),
    'LElbow': ('lradius', 'lforearm', 'leftforearm', 'lelbow', 'leftelbow', 'llowerarm',
               'leftlowerarm'),
    'LWrist': ('lwrist', 'lhand', 'lefthand', 'leftwrist'),
    'RShoulder': ('rhumerus', 'rshldr', 'rightarm', 'rshoulder', 'rightshoulder', 'rupperarm',
                  'rightupperarm'),
    'RElbow': ('rradius', 'rforearm', 'rightforearm', 'relbow', 'rightelbow', 'rlowerarm',
               'rightlowerarm'),
    'RWrist': ('rwrist', 'rhand', 'righthand', 'rightwrist'),
}
HEAD_TOPS = ('head_end', 'headtop', 'headtopend', 'headend', 'headtop_end')
EYES = (('lefteye', 'leye'), ('righteye', 'reye'))


def normalise_joint_name(name):
    """'mixamorig:LeftUpLeg', 'Left_Up_Leg' -> 'leftupleg' (the '_end' of an End Site kept)."""
    name = re.sub(r'^.*:', '', str(name))
    end = name.lower().endswith('_end')
    name = name[:-4] if end else name
    return re.sub(r'[^a-z0-9]', '', name.lower()) + ('_end' if end else '')


def to_h36m_joints(positions, where):
    """{joint name: (F, 3)} of any skeleton -> (F, 17, 3) in Human3.6M's order (the same units
    and axes). A skeleton lacking a joint of MAPPING is a PoseError listing them all."""
    by_name = {normalise_joint_name(k): v for k, v in positions.items()}
    found, missing = {}, []
    for joint, names in MAPPING.items():
        hit = next((n for n in names if n in by_name), None)
        if hit is None:
            missing.append('%s (%s)' % (joint, ' or '.join(names[:3])))
        else:
            found[joint] = by_name[hit]
    if missing:
        raise PoseError('%s: the skeleton has no joint for %s; known namings: CMU (lfemur), '
                        'Daz (lThigh), Mixamo (mixamorig:LeftUpLeg), Hips/LeftUpLeg'
                        % (where, ', '.join(missing)))
    top = next((by_name[n] for n in HEAD_TOPS if n in by_name), None)
    if top is None:
        eyes = [next((by_name[n] for n in side if n in by_name), None) for side in EYES]
        if any(e is None for e in eyes):
            raise PoseError('%s: the skeleton has no head end (End Site) and no eyes to place the '
                            'top of the head by' % where)
        mid = (eyes[0] + eyes[1]) / 2
        top = mid + 1.5 * (mid - found['HeadBase'])
    pelvis = (found['LHip'] + found['RHip']) / 2
    joints = dict(found, Hip=pelvis, Spine=(pelvis + found['Thorax']) / 2, Head=top)
    joints['Neck/Nose'] = (found['HeadBase'] + top) / 2
    return np.stack([joints[name] for name in h36m.JOINT_NAMES], axis=1)
