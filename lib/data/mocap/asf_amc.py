"""Acclaim ASF/AMC motion capture (CMU, HDM05): the skeleton (ASF) and its motion (AMC), with
forward kinematics over all frames at once.

ASF: ':units' (length: lengths are in 1/length inches; angle: deg or rad), ':root' (order of the
root's values, axis order), ':bonedata' (per bone: direction in the world at rest, length,
'axis a b c XYZ' the bone frame's orientation, 'dof' the rotations an AMC line holds, in
order), ':hierarchy' (parent child child ...). AMC: a frame number line, then one line per bone:
its name and its dof values.

A bone rotates as L = C M C^-1, C the rotation of its 'axis', M the product of its dof
rotations, the first listed turning first (dof 'rx ry rz': M = Rz Ry Rx); its world rotation is
G = G_parent L and its far end sits at P_parent + G (direction * length). The root's position is
its TX TY TZ, its rotation C_root M C_root^-1. Positions come out in the ASF's length units,
y up, for each bone's start ('<bone>', the parent's far end) and far end ('<bone>_end').
"""
import os

import numpy as np

from lib.core.errors import PoseError
from lib.data.kinematics import compose


class AsfSkeleton:
    """length_unit_mm: millimetres per ASF length unit; degrees: whether angles are degrees;
    root_order: the root's channels (e.g. ['tx', 'ty', 'tz', 'rx', 'ry', 'rz']); root_axis:
    axis order of the root's rotation; bones: {name: {'direction' (3,), 'length', 'axis' (3,),
    'axis_order', 'dof' [..]}}; children: {name: [child names]} from 'root'."""

    def __init__(self, length_unit_mm, degrees, root_order, root_axis, root_orientation, bones,
                 children):
        self.length_unit_mm, self.degrees = length_unit_mm, degrees
        self.root_order, self.root_axis = root_order, root_axis
        self.root_orientation, self.bones, self.children = root_orientation, bones, children

    def order(self):
        """Bone names, parents before children (from the root)."""
        out, todo = [], list(self.children.get('root', []))
        while todo:
            name = todo.pop(0)
            out.append(name)
            todo.extend(self.children.get(name, []))
        return out


def _read_text(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('latin-1')    # HDM05's headers hold Latin-1 bytes
    except OSError as e:
        raise PoseError('%s: cannot read (%s)' % (path, e.strerror))


def _sections(text):
    """{':section': [lines]} of an ASF file, comments dropped."""
    out, current = {}, None
    for raw in text.split('\n'):
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        if line.startswith(':'):
            key, _, rest = line.partition(' ')
            current = out.setdefault(key.lower(), [])
            if rest.strip():
                current.append(rest.strip())
        elif current is not None:
            current.append(line)
    return out


def _floats(words, path, what, count=None):
    """Finite numbers (exactly `count` of them when given) or a PoseError naming `what`."""
    try:
        values = np.array([float(w) for w in words])
    except ValueError:
        raise PoseError('%s: %s: expected numbers, got %r' % (path, what, ' '.join(words)))
    if count is not None and len(values) != count:
        raise PoseError('%s: %s: expected %d numbers, got %r' % (path, what, count,
                                                              ' '.join(words)))
    if not np.all(np.isfinite(values)):
        raise PoseError('%s: %s: NaN or infinity' % (path, what))
    return values


AXES = ('xyz', 'xzy', 'yxz', 'yzx', 'zxy', 'zyx')
CHANNELS = ('tx', 'ty', 'tz', 'rx', 'ry', 'rz', 'l')


def _checked(order, path, what):
    """An axis order (a permutation of xyz) or a channel list (of CHANNELS), else a PoseError."""
    bad = order not in AXES if isinstance(order, str) else any(c not in CHANNELS for c in order)
    if bad:
        raise PoseError('%s: %s %s: expected %s' % (path, what, order, 'an order of x, y and z'
                                                     if isinstance(order, str)
                                                     else 'channels of ' + ', '.join(CHANNELS)))
    return order


def read_asf(path):
    """An ASF file -> AsfSkeleton."""
    sec = _sections(_read_text(path))
    for key in (':units', ':root', ':bonedata', ':hierarchy'):
        if key not in sec:
            raise PoseError('%s: no %s section (not an Acclaim ASF file?)' % (path, key))
    units = dict(line.split()[:2] for line in sec[':units'] if len(line.split()) >= 2)
    length = _floats([units.get('length', '1')], path, ':units length', 1)[0]
    if not length > 0:
        raise PoseError('%s: :units length %s: expected a positive number' % (path, length))
    degrees = units.get('angle', 'deg').lower().startswith('deg')
    root = {line.split()[0].lower(): line.split()[1:] for line in sec[':root']}
    root_order = _checked([w.lower() for w in root.get('order', 'TX TY TZ RX RY RZ'.split())],
                          path, 'root order')
    root_axis = _checked(''.join(root.get('axis', ['XYZ'])).lower(), path, 'root axis')
    orientation = _floats(root.get('orientation', ['0', '0', '0']), path, 'root orientation', 3)
    bones = _bones(sec[':bonedata'], path)
    children = {}
    for line in sec[':hierarchy']:
        words = line.split()
        if words[0].lower() in ('begin', 'end'):
            continue
        for child in words[1:]:
            if child not in bones:
                raise PoseError('%s: :hierarchy names bone %s, which :bonedata lacks'
                                % (path, child))
            children.setdefault(words[0], []).append(child)
    skeleton = AsfSkeleton(25.4 / length, degrees, root_order, root_axis, orientation, bones,
                           children)
    missing = sorted(set(bones) - set(skeleton.order()))
    if missing:
        raise PoseError('%s: bones %s are not reached from the root in :hierarchy'
                        % (path, ', '.join(missing[:5])))
    return skeleton


def _bones(lines, path):
    bones, bone = {}, None
    for line in lines:
        words = line.split()
        key = words[0].lower()
        if key == 'begin':
            bone = {'dof': [], 'axis': np.zeros(3), 'axis_order': 'xyz'}
        elif key == 'end':
            if bone is None or 'name' not in bone or 'direction' not in bone or 'length' not in bone:
                raise PoseError('%s: a bone without name, direction or length' % path)
            bones[bone['name']] = bone
            bone = None
        elif bone is None:
            continue
        elif key == 'name':
            bone['name'] = words[1]
        elif key == 'direction':
            bone['direction'] = _floats(words[1:4], path, 'direction', 3)
        elif key == 'length':
            bone['length'] = float(_floats(words[1:2], path, 'length', 1)[0])
        elif key == 'axis':
            bone['axis'] = _floats(words[1:4], path, 'axis', 3)
            bone['axis_order'] = _checked(words[4].lower() if len(words) > 4 else 'xyz', path,
                                          'axis order')
        elif key == 'dof':
            bone['dof'] = _checked([w.lower() for w in words[1:]], path, 'dof')
    return bones


def read_amc(path, skeleton):
    """An AMC file of `skeleton` -> {'root': (F, len(root_order)), bone: (F, len(dof))} values
    as written (degrees or radians per the ASF). Every frame must list the same bones in the
    same order (':FULLY-SPECIFIED')."""
    lines = [line.strip() for line in _read_text(path).split('\n')]
    lines = [line for line in lines if line and not line.startswith(('#', ':'))]
    if not lines or not lines[0].isdigit():
        raise PoseError('%s: expected a frame number after the header (not an AMC file?)' % path)
    per_frame = next((k for k, line in enumerate(lines[1:], start=1) if line.isdigit()),
                     len(lines))
    names = [line.split()[0] for line in lines[1:per_frame]]
    if len(lines) % per_frame:
        raise PoseError('%s: frames list different bones (%d lines is not a whole number of '
                        'frames of %d bones)' % (path, len(lines), per_frame - 1))
    frames = len(lines) // per_frame
    out = {}
    for k, name in enumerate(names, start=1):
        column = lines[k::per_frame]
        expected = skeleton.root_order if name == 'root' else skeleton.bones.get(name, {}).get('dof')
        if expected is None:
            raise PoseError('%s: bone %s is not in the skeleton' % (path, name))
        if any(not line.startswith(name + ' ') and line != name for line in column):
            raise PoseError('%s: frames list their bones in different orders' % path)
        values = _floats(' '.join(line[len(name):] for line in column).split(), path, name)
        if values.size != frames * len(expected):
            raise PoseError('%s: bone %s: expected %d values a frame (%s)'
                            % (path, name, len(expected), ' '.join(expected)))
        out[name] = values.reshape(frames, len(expected))
    if 'root' not in out:
        raise PoseError('%s: no root line in a frame' % path)
    return out


def forward_kinematics(skeleton, motion):
    """{name: (F, 3)} positions in ASF length units (y up) of every bone's start and far end
    ('<bone>_end'), and of 'root'."""
    frames = len(motion['root'])
    to_rad = np.pi / 180 if skeleton.degrees else 1.0
    order = skeleton.root_order
    root_pos = np.stack([motion['root'][:, order.index(a)] if a in order else np.zeros(frames)
                         for a in ('tx', 'ty', 'tz')], axis=1)
    turns = [order.index(a) for a in order if a.startswith('r')]
    c_root = _frame(skeleton.root_orientation * to_rad, skeleton.root_axis)
    root_turn = _turn(motion['root'][:, turns] * to_rad, [order[k] for k in turns], frames)
    pos, glob = {'root': root_pos}, {'root': c_root @ root_turn @ c_root.T}
    parent_of = {c: p for p, kids in skeleton.children.items() for c in kids}
    for name in skeleton.order():
        bone, parent = skeleton.bones[name], parent_of[name]
        values = motion.get(name, np.zeros((frames, len(bone['dof']))))
        c = _frame(bone['axis'] * to_rad, bone['axis_order'])
        glob[name] = glob[parent] @ (c @ _turn(values * to_rad, bone['dof'], frames) @ c.T)
        start = pos[parent + '_end'] if parent != 'root' else pos['root']
        pos[name] = start
        pos[name + '_end'] = start + glob[name] @ (bone['direction'] * bone['length'])
    return pos


def _frame(angles, order):
    """A bone frame (3, 3) from its 'axis' angles (x, y, z) radians turned in `order` (e.g.
    'xyz': x first, so C = Rz Ry Rx)."""
    lookup = dict(zip('xyz', angles))
    return compose(order[::-1], np.array([[lookup[a] for a in order[::-1]]]))[0]


def _turn(values, dof, frames):
    """The rotation (F, 3, 3) of dof values (F, k) radians, dof like ['rx', 'ry', 'rz'] with the
    first listed turning first; the identity for a bone without rotations."""
    axes = [d[1] for d in dof if d.startswith('r')]
    if not axes:
        return np.broadcast_to(np.eye(3), (frames, 3, 3))
    columns = [k for k, d in enumerate(dof) if d.startswith('r')]
    return compose(''.join(reversed(axes)), values[:, columns][:, ::-1])


def asf_beside(amc_path):
    """The ASF of an AMC file, in its folder or the one above: the only one there, or the one
    whose name (up to a '-') starts the AMC's name before a '_' or '-' ('07-walk.asf' for
    '07_05-walk.amc', 'HDM_bd.asf' for 'HDM_bd_squat1Reps_001_120.amc'); None when it cannot
    be told."""
    stem = os.path.splitext(os.path.basename(amc_path))[0]
    folder = os.path.dirname(os.path.abspath(amc_path))
    for place in (folder, os.path.dirname(folder)):
        asfs = sorted(f for f in os.listdir(place) if f.lower().endswith('.asf'))
        if len(asfs) == 1:
            return os.path.join(place, asfs[0])
        named = [f for f in asfs if any(stem.startswith(f[:-4].split('-')[0] + sep)
                                        for sep in '_-')]
        if len(named) == 1:
            return os.path.join(place, named[0])
    return None
