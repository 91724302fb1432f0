"""Motion capture from any rig (lib.data.mocap.joints): every family's BVH, in its real shape
(tests/rig_fixtures.py), read with its joints found by structure, at its own unit, with the
knees and elbows where the file's own joints are; shuffled names and orders; a mapping file
for what cannot be found; what cannot be mapped refused in one line."""
import os
import re

import numpy as np
import pytest

import config
from lib.core import h36m
from lib.core.errors import PoseError
from lib.data.dataset import load_split
from lib.data.kinematics import Y_UP_TO_Z_UP
from lib.data.mocap import bvh
from lib.data.mocap.joints import find_joints, read_joint_map, side_of, words
from lib.data.mocap.take import bvh_rig, read_take
from tests.rig_fixtures import MM, RIGS, landmark, rig_bvh, rig_offsets

J = {name: k for k, name in enumerate(h36m.JOINT_NAMES)}
SIDE = {'l': 'left', 'r': 'right'}


def written(tmp_path, family, spec=None, **kw):
    path = tmp_path / ('%s.bvh' % family)
    path.write_text(rig_bvh(spec or RIGS[family], **kw))
    return str(path)


@pytest.mark.parametrize('family', sorted(RIGS))
def test_every_rig_family_reads_with_its_joints_and_unit(tmp_path, family):
    spec = RIGS[family]
    path = written(tmp_path, family, rest_frame=True)
    skeleton, motion, _ = bvh.read_bvh(path)
    found = find_joints(bvh_rig(skeleton, motion), path)
    names = {key: skeleton.names[j] for key, j in found.items()}
    for key, name in spec['expected'].items():
        assert names[key] in (name, spec['prefix'] + name), (key, names[key])
    take = read_take(path)
    assert take.unit == MM[spec['unit']] and take.dropped == 1           # the rest frame
    # Knees and elbows in mm, z up, where the file's own joints are after its kinematics.
    fk = bvh.forward_kinematics(skeleton, motion[1:2])[0] * take.unit @ Y_UP_TO_Z_UP.T
    for key in ('LKnee', 'RKnee', 'LElbow', 'RElbow', 'LWrist', 'RFoot'):
        assert np.linalg.norm(take.poses[0, J[key]] - fk[found[key]]) < 20, key
    legs = (np.linalg.norm(take.poses[0, J['LHip']] - take.poses[0, J['LKnee']])
            + np.linalg.norm(take.poses[0, J['LKnee']] - take.poses[0, J['LFoot']]))
    assert 700 < legs < 950                                               # an adult's, in mm


def test_names_say_their_side_and_words():
    assert words('mixamorig:LeftUpLeg') == ['left', 'up', 'leg']
    assert words('Bip01 L Thigh') == ['l', 'thigh'] and side_of('Bip01 R Calf') == 'R'
    assert words('thigh.L') == ['thigh', 'l'] and side_of('upper_arm.R') == 'R'
    assert words('lfemur') == ['l', 'femur'] and side_of('rhumerus') == 'R'
    assert side_of('Hand_L') == 'L' and side_of('L_Wrist') == 'L' and side_of('lHip') == 'L'
    assert side_of('Spine1') is None and side_of('lowerback') is None


def _respelled(name, rng):
    """A joint name written another way a tool might: separators, case, a side as a prefix or
    a suffix, a namespace."""
    side = side_of(name)
    core = [w for w in words(name) if w not in ('l', 'r', 'left', 'right')]
    styles = [lambda c, s: '_'.join(c) + ('_' + s[0].upper() if s else ''),
              lambda c, s: (SIDE[s.lower()].capitalize() if s else '') + ''.join(
                  w.capitalize() for w in c),
              lambda c, s: (s.lower() + '_' if s else '') + '_'.join(c),
              lambda c, s: 'rig:' + ''.join(c) + ('.' + s if s else '')]
    return styles[rng.integers(len(styles))](core, side)


@pytest.mark.parametrize('seed', range(12))
def test_shuffled_names_and_orders_map_to_the_same_joints(tmp_path, seed):
    """Random families with their children in another order and every name respelled: the
    knees, elbows, wrists and ankles are still found at the same landmarks."""
    rng = np.random.default_rng(seed)
    family = sorted(RIGS)[seed % len(RIGS)]
    spec = dict(RIGS[family], prefix='')
    rig = list(spec['rig'])
    order = [rig[0]] + [rig[k + 1] for k in rng.permutation(len(rig) - 1)]
    placed = {name for name, _, _ in order[:1]}
    ordered = []
    while len(ordered) < len(order) - 1:                 # parents before children, shuffled
        for entry in order[1:]:
            if entry not in ordered and entry[1] in placed:
                ordered.append(entry)
                placed.add(entry[0])
    rename = {name: (_respelled(name, rng) if not name.endswith('_end') else None)
              for name, _, _ in rig}
    for name, parent, _ in rig:
        if name.endswith('_end'):
            rename[name] = rename[parent] + '_end'
    spec['rig'] = [(rename[n], rename[p] if p else None, where)
                   for n, p, where in [rig[0]] + ordered]
    path = written(tmp_path, family, spec)
    skeleton, motion, _ = bvh.read_bvh(path)
    found = find_joints(bvh_rig(skeleton, motion), path)
    by_name = {rename[n]: where for n, _, where in rig}
    for key in ('LKnee', 'RKnee', 'LElbow', 'RElbow', 'LWrist', 'RWrist', 'LFoot', 'RFoot'):
        side, part = key[0].lower(), key[1:].lower()
        expected = {'knee': '%sknee', 'elbow': '%selbow', 'wrist': '%swrist',
                    'foot': '%sankle'}[part] % side
        assert np.allclose(landmark(by_name[skeleton.names[found[key]]]),
                           landmark(expected)), (family, key, skeleton.names[found[key]])


def test_a_mapping_names_what_structure_cannot_find(tmp_path):
    """A rig whose ends have names no tool writes is refused with what was found and what is
    missing; DATASET.mocap_joints names them, and it then trains like any other."""
    spec = dict(RIGS['unity_humanoid'])
    odd = {'LeftFoot': 'jL7', 'RightFoot': 'jR7', 'LeftHand': 'jL3', 'RightHand': 'jR3'}
    spec['rig'] = [(odd.get(n, n), odd.get(p, p), where) for n, p, where in spec['rig']]
    folder = tmp_path / 'studio'
    folder.mkdir()
    for k in range(2):
        (folder / ('take%d.bvh' % k)).write_text(rig_bvh(spec, frames=30, seed=k))
    with pytest.raises(PoseError) as refused:
        read_take(str(folder / 'take0.bvh'))
    message = str(refused.value)
    assert '\n' not in message and 'cannot find RHip, RKnee, RFoot, LHip' in message
    assert 'found HeadBase=Head, Head=Head_end; name them in DATASET.mocap_joints' in message
    (folder / 'joints.yaml').write_text('LFoot: jL7\nRFoot: jR7\nLWrist: jL3\nRWrist: jR3\n'
                                        'LKnee: LeftLowerLeg\nRKnee: RightLowerLeg\n'
                                        'LHip: LeftUpperLeg\nRHip: RightUpperLeg\n'
                                        'LElbow: LeftLowerArm\nRElbow: RightLowerArm\n'
                                        'LShoulder: LeftUpperArm\nRShoulder: RightUpperArm\n'
                                        'Thorax: Neck\n')
    take = read_take(str(folder / 'take0.bvh'), joints=read_joint_map(str(folder / 'joints.yaml')))
    assert take.unit == 1000.0
    cfg = config.default_config().DATASET
    cfg.update(source='mocap', mocap_test=['studio'], mocap_cameras='random', mocap_views=1,
               mocap_joints='studio/joints.yaml')
    assert len(load_split(str(tmp_path), 'test', cfg)['ids']) > 0
    cfg.mocap_joints = 'studio/no_joints.yaml'
    with pytest.raises(PoseError, match=re.escape('DATASET.mocap_joints studio/no_joints.yaml: '
                                                  'no such file (looked here and in %s)'
                                                  % tmp_path)):
        load_split(str(tmp_path), 'test', cfg)
    (folder / 'joints.yaml').write_text('LKnee: NoSuchJoint\n')
    with pytest.raises(PoseError, match='maps LKnee to NoSuchJoint, which the skeleton does not'):
        read_take(str(folder / 'take0.bvh'), joints=read_joint_map(str(folder / 'joints.yaml')))
    (folder / 'joints.yaml').write_text('Kneee: x\n')
    with pytest.raises(PoseError, match=re.escape("joints.yaml: Kneee: 'x': expected a key of")):
        read_joint_map(str(folder / 'joints.yaml'))


def test_names_with_spaces_and_position_channels_on_every_joint(tmp_path):
    """3ds Max writes 'Bip01 L Thigh' (every word of the line is the name, as Blender reads it);
    Perception Neuron puts the bone's offset in position channels on every joint (they replace
    the OFFSET, as Blender reads them: the bones keep their length)."""
    skeleton, _, _ = bvh.read_bvh(written(tmp_path, 'max_biped'))
    assert 'Bip01 L Thigh' in skeleton.names
    path = written(tmp_path, 'perception_neuron')
    skeleton, motion, _ = bvh.read_bvh(path)
    names, _, offsets = rig_offsets(RIGS['perception_neuron'])
    rest = bvh.forward_kinematics(skeleton, motion[:1])[0]
    at = skeleton.names.index
    thigh = np.linalg.norm(rest[at('LeftLeg')] - rest[at('LeftUpLeg')])
    assert np.isclose(thigh, np.linalg.norm(offsets[names.index('LeftLeg')]), rtol=1e-3)
