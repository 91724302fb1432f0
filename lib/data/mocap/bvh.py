"""BVH motion capture: reader (any hierarchy, each joint's own channel order, position channels
on any joint, End Sites) with forward kinematics over all frames at once, and a writer.

A BVH joint's position is where its segment starts: the root's translation, then for each joint
P = P_parent + G_parent t, G = G_parent R, where t is its OFFSET, or its position channels when
it has any (they replace the OFFSET, as Blender's importer reads them: Perception Neuron and
MotionBuilder write position channels on every joint, holding the bone's own offset), and R the
product of its rotation channels in the order listed ('Zrotation Xrotation Yrotation':
R = Rz Rx Ry). An End Site is a joint named
'<parent>_end' with no channels. Positions come out in the file's units, y up as written.
"""
import re

import numpy as np

from lib.core.errors import PoseError
from lib.core.files import atomic_path
from lib.data.kinematics import compose

ROTATIONS = {'Xrotation': 'x', 'Yrotation': 'y', 'Zrotation': 'z'}
POSITIONS = {'Xposition': 0, 'Yposition': 1, 'Zposition': 2}


class Skeleton:
    """names [J], parents (J,) (-1 for the root), offsets (J, 3) in the file's units and the
    channels of each joint [[channel name, ...] * J]; End Sites have no channels."""

    def __init__(self, names, parents, offsets, channels):
        self.names, self.parents = list(names), np.asarray(parents, dtype=np.int64)
        self.offsets, self.channels = np.asarray(offsets, dtype=np.float64), channels

    def channel_count(self):
        return sum(len(c) for c in self.channels)


def _tokens(text, path):
    """The hierarchy's tokens with their line numbers."""
    out = []
    for lineno, line in enumerate(text.split('\n'), start=1):
        out.extend((token, lineno) for token in line.split())
    return out


def _parse_hierarchy(tokens, path):
    """Tokens from 'HIERARCHY' to 'MOTION' -> (Skeleton, index of the 'MOTION' token)."""
    names, parents, offsets, channels, stack = [], [], [], [], []
    i = 1 if tokens and tokens[0][0] == 'HIERARCHY' else 0
    if i == 0:
        raise PoseError('%s: not a BVH file (it does not begin with HIERARCHY)' % path)
    expect = lambda k, what: _expect(tokens, k, what, path)
    while True:
        word, line = expect(i, 'ROOT, JOINT, End Site, } or MOTION')
        if word == 'MOTION':
            break
        if word in ('ROOT', 'JOINT') or (word == 'End' and expect(i + 1, 'Site')[0] == 'Site'):
            if word == 'ROOT' and names:
                raise PoseError('%s line %d: a second ROOT (one skeleton a file)' % (path, line))
            if word != 'ROOT' and not stack:
                raise PoseError('%s line %d: %s outside the root' % (path, line, word))
            if word == 'End':
                name, body = names[stack[-1]] + '_end', i + 2
            else:
                name, body = _joint_name(tokens, i, path)
            offset, chans, i = _joint_body(tokens, body, word, name, path)
            names.append(name)
            parents.append(stack[-1] if stack else -1)
            offsets.append(offset)
            channels.append(chans)
            stack.append(len(names) - 1)
        elif word == '}':
            if not stack:
                raise PoseError('%s line %d: } without a joint' % (path, line))
            stack.pop()
            i += 1
        else:
            raise PoseError('%s line %d: unexpected %r in the hierarchy' % (path, line, word))
    if stack or not names:
        raise PoseError('%s: the hierarchy is not closed before MOTION' % path)
    if len(set(names)) != len(names):
        raise PoseError('%s: joint names repeat' % path)
    return Skeleton(names, parents, offsets, channels), i


def _joint_name(tokens, i, path):
    """The name after ROOT or JOINT at token i: every word on that line ('Bip01 L Thigh', as 3ds
    Max writes it), a '{' on the same line left out. Returns (name, index of the '{')."""
    line = _expect(tokens, i + 1, 'a joint name', path)[1]
    end = i + 1
    while end < len(tokens) and tokens[end][1] == line and tokens[end][0] != '{':
        end += 1
    if end == i + 1 or tokens[i + 1][1] != tokens[i][1]:
        raise PoseError('%s line %d: %s without a joint name' % (path, tokens[i][1], tokens[i][0]))
    return ' '.join(t for t, _ in tokens[i + 1:end]), end


def _expect(tokens, k, what, path):
    if k >= len(tokens):
        raise PoseError('%s: the file ends inside the hierarchy (expected %s)' % (path, what))
    return tokens[k]


def _joint_body(tokens, i, word, name, path):
    """From the '{' of a joint: its OFFSET and CHANNELS -> (offset, channels, next index)."""
    expect = lambda k, what: _expect(tokens, k, what, path)
    line = expect(i, '{')[1]
    if tokens[i][0] != '{':
        raise PoseError('%s line %d: expected { after %s %s' % (path, line, word, name))
    if expect(i + 1, 'OFFSET')[0] != 'OFFSET':
        raise PoseError('%s line %d: expected OFFSET in %s' % (path, tokens[i + 1][1], name))
    offset = _numbers([t for t, _ in tokens[i + 2:i + 5]], path, tokens[i + 1][1], 3)
    i += 5
    if word == 'End':
        return offset, [], i
    if expect(i, 'CHANNELS')[0] != 'CHANNELS':
        raise PoseError('%s line %d: expected CHANNELS in %s' % (path, tokens[i][1], name))
    count = int(_numbers([expect(i + 1, 'a channel count')[0]], path, tokens[i][1], 1)[0])
    chans = [t for t, _ in tokens[i + 2:i + 2 + count]]
    unknown = [c for c in chans if c not in ROTATIONS and c not in POSITIONS]
    if len(chans) != count or unknown:
        raise PoseError('%s line %d: %s: expected %d channels of %s, got %s'
                        % (path, tokens[i][1], name, count,
                           ', '.join(list(POSITIONS) + list(ROTATIONS)), chans))
    return offset, chans, i + 2 + count


def _numbers(words, path, line, count):
    try:
        values = np.array([float(w) for w in words])
    except ValueError:
        values = np.array([])
    if len(values) != count or not np.all(np.isfinite(values)):
        raise PoseError('%s line %d: expected %d finite numbers, got %r' % (path, line, count,
                                                                          ' '.join(words)))
    return values


def read_bvh(path):
    """A BVH file -> (Skeleton, motion (F, channels) float64, frame time in seconds as the
    header states it). The channel values are in the file's units and degrees."""
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('latin-1')
    except OSError as e:
        raise PoseError('%s: cannot read (%s)' % (path, e.strerror))
    head, sep, body = text.partition('\nMOTION')
    if not sep:
        raise PoseError('%s: no MOTION section (not a BVH file?)' % path)
    skeleton, _ = _parse_hierarchy(_tokens(head + '\nMOTION', path), path)
    header = re.match(r'\s*Frames:\s*(\d+)\s*\n\s*Frame Time:\s*(\S+)\s*\n', body)
    if not header:
        raise PoseError('%s: expected "Frames: N" and "Frame Time: T" after MOTION' % path)
    frames, frame_time = int(header.group(1)), float(header.group(2))
    if not frame_time > 0:
        raise PoseError('%s: Frame Time %s: expected a positive number of seconds'
                        % (path, header.group(2)))
    width = skeleton.channel_count()
    try:
        values = np.array(body[header.end():].split(), dtype=np.float64)
    except ValueError:
        raise PoseError('%s: the motion holds a value that is not a number' % path)
    if values.size != frames * width:
        raise PoseError('%s: Frames: %d of %d channels needs %d values, the motion holds %d'
                        % (path, frames, width, frames * width, values.size))
    motion = values.reshape(frames, width)
    if not np.all(np.isfinite(motion)):
        raise PoseError('%s: NaN or infinity in the motion' % path)
    return skeleton, motion, frame_time


def forward_kinematics(skeleton, motion):
    """Joint positions (F, J, 3) in the file's units for motion (F, channels) in degrees."""
    frames = len(motion)
    glob = [None] * len(skeleton.names)
    pos = np.zeros((frames, len(skeleton.names), 3))
    column = 0
    for j, (parent, chans) in enumerate(zip(skeleton.parents, skeleton.channels)):
        values = motion[:, column:column + len(chans)]
        column += len(chans)
        translation = np.broadcast_to(skeleton.offsets[j], (frames, 3)).copy()
        if any(name in POSITIONS for name in chans):
            translation[:] = 0.0                 # position channels replace the OFFSET
        axes, angles = '', []
        for k, name in enumerate(chans):
            if name in POSITIONS:
                translation[:, POSITIONS[name]] = values[:, k]
            else:
                axes += ROTATIONS[name]
                angles.append(values[:, k])
        local = compose(axes, np.radians(np.stack(angles, axis=1)) if axes
                        else np.zeros((frames, 0)))
        if parent < 0:
            glob[j], pos[:, j] = local, translation
        else:
            glob[j] = glob[parent] @ local
            pos[:, j] = pos[:, parent] + np.einsum('fij,fj->fi', glob[parent], translation)
    return pos


def write_bvh(path, skeleton, motion, frame_time):
    """Write a Skeleton and its motion (F, channels) in degrees as a BVH file, atomically."""
    lines = ['HIERARCHY']
    children = {j: [k for k, p in enumerate(skeleton.parents) if p == j]
                for j in range(len(skeleton.names))}

    def joint(j, depth):
        pad = '  ' * depth
        name = skeleton.names[j]
        if not skeleton.channels[j] and name.endswith('_end') and not children[j]:
            lines.append(pad + 'End Site')
        else:
            lines.append(pad + ('ROOT ' if skeleton.parents[j] < 0 else 'JOINT ') + name)
        lines.append(pad + '{')
        lines.append(pad + '  OFFSET %s' % ' '.join('%.6f' % v for v in skeleton.offsets[j]))
        if skeleton.channels[j] or not name.endswith('_end'):
            lines.append(pad + '  CHANNELS %d %s' % (len(skeleton.channels[j]),
                                                     ' '.join(skeleton.channels[j])))
        for k in children[j]:
            joint(k, depth + 1)
        lines.append(pad + '}')
    joint(0, 0)
    lines += ['MOTION', 'Frames: %d' % len(motion), 'Frame Time: %.8f' % frame_time]
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.write('\n'.join(lines) + '\n')
        np.savetxt(f, np.asarray(motion).reshape(len(motion), -1), fmt='%.6f')
