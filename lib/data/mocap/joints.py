"""Human3.6M's 17 joints found in a motion-capture skeleton of any rig: by its structure, with
the names as hints.

Names alone are a trap: 'RightShoulder' is the upper arm in Xsens MVN's exports and the
clavicle in Mixamo's; 'lfemur' is a bone that starts at the hip. So only the ends are found by
name, in any common spelling (a side as a prefix or a suffix: L, _L, .L, Left, l_, ' L '):
the wrists (a joint called wrist, else hand), the ankles (ankle, else foot) and the head. The
rest is the tree: the elbow is the wrist's parent and the shoulder the elbow's, the knee the
ankle's parent and the hip the knee's, skipping joints on the way that add no length (a
zero-length 'hipjoint') or are twist or roll helpers. The thorax (the base of the neck) is the
first neck joint below the chest (where the arms and the head part), or the joint where they
part when the rig has no neck; the top of the head is the head's End Site or 'top' joint, or,
for rigs whose head ends at the eyes, 1.5 times the head-to-eyes vector above the eyes. A
side the names do not tell is taken from the rest pose (Y up, facing +Z, its left at +X).

A Rig is what a reader gives: names (J,), parents (J,) (-1 for the root) and positions
(F, J, 3) of each joint's start ('<joint>_end' for an End Site). A mapping {key of KEYS: rig
joint name} (DATASET.mocap_joints) names joints outright, over what is found. A rig in which
one cannot be found is refused in one line that lists what was found and what is missing.

Human3.6M's joints are not a rig's: they are placed as Human3.6M places them, from the mean
bone lengths of its test subjects (S9 and S11, all frames): the hips 130 mm from the pelvis,
HIP_WIDTH times the joint centres of motion capture (83-90 mm in CMU's and HDM05's), the pelvis
their mid-point, the spine half way from the pelvis to the thorax, the head joint (Human3.6M's
top of the head) 231 mm from the thorax (116 + 115), HEAD_SHARE of the pelvis-to-thorax
distance, towards the rig's top of the head, and Neck/Nose half way from the thorax to it.
Rigs place the top of the head between eye level and the crown, so this puts every rig's head
at one definition (doc/data.md, "Motion capture").
"""
import re
from collections import namedtuple

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.settings import read_yaml
from lib.core.vectors import unit_vectors

Rig = namedtuple('Rig', 'names parents positions')
HIP_WIDTH = 1.45         # Human3.6M's hips (130 mm from the pelvis) over the joint centres' (90)
HEAD_SHARE = 0.47        # Human3.6M's thorax to head top (231 mm) over pelvis to thorax (490)
# The joints found in a rig; the other Human3.6M joints are made from them.
KEYS = ('RHip', 'RKnee', 'RFoot', 'LHip', 'LKnee', 'LFoot', 'Thorax', 'HeadBase', 'Head',
        'LShoulder', 'LElbow', 'LWrist', 'RShoulder', 'RElbow', 'RWrist')
# Words that mark a side, and the ends found by name (the first word of each that a rig has).
SIDE_WORDS = {'l': 'L', 'left': 'L', 'r': 'R', 'right': 'R'}
WRIST_WORDS, ANKLE_WORDS = ('wrist', 'hand'), ('ankle', 'foot')
# Joints on a limb that add no joint of their own.
HELPER_WORDS = ('twist', 'roll', 'bend', 'share', 'helper')
FACE_WORDS = ('eye', 'jaw', 'ear', 'tongue', 'teeth', 'nose', 'lip', 'brow', 'cheek', 'mouth')
TOP_WORDS = ('top', 'end', 'nub', 'site', 'tip')
# Bone names of CMU's ASF, which begin with their side letter ('lfemur', 'rhumerus').
ONE_WORD = re.compile(r'^([lr])(femur|tibia|foot|toes|hipjoint|humerus|radius|wrist|hand|'
                      r'clavicle|fingers|thumb|shldr|forearm|thigh|shin|collar|buttock|'
                      r'upleg|uparm|ankle|knee|hip|elbow|shoulder)$')


# The first word of a name that only says which rig it is ('Bip01 L Thigh', 'DEF-thigh.L').
RIG_PREFIX = re.compile(r'^(bip\d+|def|org|mch|b)$')


def words(name):
    """A joint name as lower-case words, without a namespace or a rig's prefix word:
    'mixamorig:LeftUpLeg' -> ['left', 'up', 'leg'], 'thigh.L' -> ['thigh', 'l'],
    'Bip01 L Thigh' -> ['l', 'thigh'], 'lfemur' -> ['l', 'femur'], 'Head_end' -> ['head', 'end']."""
    name = re.sub(r'^.*[:|]', '', str(name))
    name = re.sub(r'([a-z0-9])([A-Z])', r'\1 \2', name)
    out = []
    for word in re.split(r'[^A-Za-z0-9]+', name.lower()):
        one = ONE_WORD.match(word)
        out += [one.group(1), one.group(2)] if one else ([word] if word else [])
    return out[1:] if len(out) > 1 and RIG_PREFIX.match(out[0]) else out


def side_of(name):
    """'L', 'R' or None: the side a joint name says."""
    sides = {SIDE_WORDS[w] for w in words(name) if w in SIDE_WORDS}
    return sides.pop() if len(sides) == 1 else None


def base_of(name):
    """A name's words without its side, joined: 'LeftUpLeg' -> 'upleg', 'Hand_L' -> 'hand'."""
    return ''.join(w for w in words(name) if w not in SIDE_WORDS)


class _Tree:
    """The rig's tree and its rest measure: children, ancestors, a joint's length."""

    def __init__(self, rig):
        self.rig = rig
        self.names = list(rig.names)
        self.parents = np.asarray(rig.parents)
        self.children = {j: [k for k, p in enumerate(self.parents) if p == j]
                         for j in range(len(self.names))}
        self.rest = np.median(rig.positions, axis=0)                     # (J, 3)
        self.size = max(float(np.ptp(self.rest, axis=0).max()), 1e-9)

    def ancestors(self, j):
        out = []
        while self.parents[j] >= 0:
            j = int(self.parents[j])
            out.append(j)
        return out

    def limb_parent(self, j):
        """The nearest ancestor of j that is a joint of its own: not at j's place and not a
        twist or roll helper."""
        for a in self.ancestors(j):
            helper = any(w in HELPER_WORDS for w in words(self.names[a]))
            if not helper and np.linalg.norm(self.rest[a] - self.rest[j]) > 1e-3 * self.size:
                return a
        return None


def _ends(tree, options):
    """{side: joint index} of the first word of `options` that joints of both sides have."""
    for word in options:
        found = {}
        for j, name in enumerate(tree.names):
            if base_of(name) == word and not name.endswith('_end'):
                found.setdefault(side_of(name), []).append(j)
        sided = {s: v[0] for s, v in found.items() if s in ('L', 'R') and len(v) == 1}
        if len(sided) == 2:
            return sided
        if len(found.get(None, [])) == 2:                   # unnamed sides: the rest pose's
            a, b = found[None]
            return dict(zip('LR', (a, b) if tree.rest[a, 0] > tree.rest[b, 0] else (b, a)))
    return {}


def _head_top(tree, head):
    """The top of the head: a descendant named top/end (the nearest), else its End Site or the
    farthest descendant that is no part of the face; None when it has none but eyes."""
    descendants = [k for k in range(len(tree.names)) if head in tree.ancestors(k)]
    faceless = [k for k in descendants
                if not any(w.startswith(FACE_WORDS) for w in words(tree.names[k]))]
    named = [k for k in faceless if any(w in TOP_WORDS for w in words(tree.names[k]))]
    if named:
        return min(named, key=lambda k: len(tree.ancestors(k)))
    if faceless:
        return max(faceless, key=lambda k: np.linalg.norm(tree.rest[k] - tree.rest[head]))
    return None


def _thorax(tree, head, shoulders):
    """The base of the neck: the first neck joint below where the head's and the arms' chains
    part, else that joint itself when it is named neck, else its child towards the head."""
    above = tree.ancestors(head)
    common = [a for a in above if all(a in tree.ancestors(s) for s in shoulders)]
    if not common:
        return None
    split = common[0]
    path = list(reversed(above[:above.index(split)]))                   # split -> head
    necks = [a for a in path if 'neck' in words(tree.names[a])]
    if necks:
        return necks[0]
    if 'neck' in words(tree.names[split]):
        return split
    return path[0] if path else split


def _chain(tree, end, count):
    """[end, its limb parent, that one's ...], `count` joints, None past the top."""
    out = [end]
    while len(out) < count:
        out.append(None if out[-1] is None else tree.limb_parent(out[-1]))
    return out


def _heads(tree):
    """The joints called head; failing one, those whose name ends in head ('torso_head')."""
    exact = [j for j, n in enumerate(tree.names) if base_of(n) == 'head']
    return exact or [j for j, n in enumerate(tree.names)
                     if words(n)[-1:] == ['head'] and not n.endswith('_end')]


def find_joints(rig, where, mapping=None):
    """{key of KEYS: rig joint index} by the rules of the module docstring; `mapping` {key: rig
    joint name} names joints outright. A PoseError lists what was found and what is missing."""
    tree = _Tree(rig)
    found = {}
    for side, wrist in _ends(tree, WRIST_WORDS).items():
        found.update(zip((side + 'Wrist', side + 'Elbow', side + 'Shoulder'),
                         _chain(tree, wrist, 3)))
    for side, ankle in _ends(tree, ANKLE_WORDS).items():
        found.update(zip((side + 'Foot', side + 'Knee', side + 'Hip'), _chain(tree, ankle, 3)))
    heads = _heads(tree)
    if len(heads) == 1:
        found['HeadBase'], found['Head'] = heads[0], _head_top(tree, heads[0])
        shoulders = [found.get(s + 'Shoulder') for s in 'LR']
        if None not in shoulders:
            found['Thorax'] = _thorax(tree, heads[0], shoulders)
    found = {key: int(j) for key, j in found.items() if j is not None}
    found.update(_mapped(tree, mapping or {}, where))
    eyes = _eyes(tree)
    missing = [k for k in KEYS if k not in found and not (k == 'Head' and eyes)]
    if missing:
        raise PoseError('%s: cannot find %s in the skeleton (found %s; name them in '
                        'DATASET.mocap_joints)'
                        % (where, ', '.join(missing), ', '.join(
                            '%s=%s' % (k, tree.names[found[k]]) for k in KEYS if k in found)
                           or 'none'))
    return found


def _eyes(tree):
    """The rig's two eye joints (indices), or None."""
    eyes = _ends(tree, ('eye',))
    return (eyes['L'], eyes['R']) if eyes else None


def _mapped(tree, mapping, where):
    """{key: index} of a user's mapping; a key that is not of KEYS or a name the rig does not
    have is a PoseError."""
    out = {}
    for key, name in mapping.items():
        if key not in KEYS:
            raise PoseError('%s: DATASET.mocap_joints names %s, not one of %s'
                            % (where, key, ', '.join(KEYS)))
        if name not in tree.names:
            raise PoseError('%s: DATASET.mocap_joints maps %s to %s, which the skeleton does not '
                            'have' % (where, key, name))
        out[key] = tree.names.index(name)
    return out


def to_h36m_joints(rig, where, mapping=None):
    """A Rig -> (F, 17, 3) in Human3.6M's order (the rig's units and axes)."""
    found = find_joints(rig, where, mapping)
    p = rig.positions
    joints = {key: p[:, j] for key, j in found.items()}
    if 'Head' not in joints:
        left, right = _eyes(_Tree(rig))
        mid = (p[:, left] + p[:, right]) / 2
        joints['Head'] = mid + 1.5 * (mid - joints['HeadBase'])
    pelvis = (joints['LHip'] + joints['RHip']) / 2
    for side in ('LHip', 'RHip'):
        joints[side] = pelvis + HIP_WIDTH * (joints[side] - pelvis)
    thorax = joints['Thorax']
    trunk = np.median(np.linalg.norm(thorax - pelvis, axis=-1))
    towards = joints['Head'] - thorax
    joints['Head'] = thorax + unit_vectors(towards) * HEAD_SHARE * trunk
    joints.update(Hip=pelvis, Spine=(pelvis + thorax) / 2, **{'Neck/Nose': (thorax + joints['Head'])
                                                              / 2})
    return np.stack([joints[name] for name in h36m.JOINT_NAMES], axis=1)


def leg_length(rig, where, mapping=None):
    """The median over frames of thigh plus shin, averaged over the sides, in the rig's units:
    a measure of its size that no posture changes."""
    found, p = find_joints(rig, where, mapping), rig.positions
    legs = [np.linalg.norm(p[:, found[s + 'Hip']] - p[:, found[s + 'Knee']], axis=-1)
            + np.linalg.norm(p[:, found[s + 'Knee']] - p[:, found[s + 'Foot']], axis=-1)
            for s in 'LR']
    return float(np.median(np.mean(legs, axis=0)))


def read_joint_map(path):
    """The mapping of DATASET.mocap_joints: a YAML file of `key: rig joint name` lines (keys of
    KEYS; e.g. `LKnee: Knee_L2`), checked: a PoseError names the file and the entry."""
    mapping = read_yaml(path)
    if not isinstance(mapping, dict) or not mapping:
        raise PoseError('%s: expected lines of KEY: joint name, KEY one of %s'
                        % (path, ', '.join(KEYS)))
    for key, name in mapping.items():
        if key not in KEYS or not isinstance(name, str) or not name.strip():
            raise PoseError('%s: %s: %r: expected a key of %s and a joint name'
                            % (path, key, name, ', '.join(KEYS)))
    return mapping
