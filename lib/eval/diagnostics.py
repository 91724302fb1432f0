"""Where a lifter's error comes from, beside the protocols: the mean depth of each joint
relative to the pelvis and the mean length of each bone, true against predicted.

A lifter that reads depth from cues particular to its training skeleton predicts a body
upright and square to the camera when another skeleton comes (the feet as near as the pelvis
under a camera that looks down); one trained on one derivation of the joints predicts that
derivation's bone lengths. Protocol #1 does not scale, so both cost in full; these two
tables show them for any test set.

Poses are (N, 17, 3) mm, camera frame (x right, y down, z forward), root-relative.
"""
import numpy as np

from lib.core import h36m

# The 16 bones named 'parent-child'.
BONE_NAMES = tuple('%s-%s' % (h36m.JOINT_NAMES[p], h36m.JOINT_NAMES[c])
                   for p, c in h36m.BONES)


def joint_depths(poses):
    """Mean depth (z) of each joint relative to the pelvis, (17,) mm: positive is farther from
    the camera than the pelvis."""
    poses = np.asarray(poses, np.float64)
    return (poses[:, :, 2] - poses[:, :1, 2]).mean(axis=0)


def bone_lengths(poses):
    """Mean length of each bone of h36m.BONES over the frames, (16,) mm."""
    poses = np.asarray(poses, np.float64)
    parents, children = (np.array(side) for side in zip(*h36m.BONES))
    return np.linalg.norm(poses[:, children] - poses[:, parents], axis=-1).mean(axis=0)


def pose_diagnostics(pred, gt):
    """{'depth_mm': {joint: {'true', 'predicted'}}, 'bone_mm': {bone: {'true', 'predicted'}}}
    of predictions and ground truth (N, 17, 3) mm, root-relative."""
    out = {}
    for key, names, measure in (('depth_mm', h36m.JOINT_NAMES, joint_depths),
                                ('bone_mm', BONE_NAMES, bone_lengths)):
        true, predicted = measure(gt), measure(pred)
        out[key] = {name: {'true': float(t), 'predicted': float(p)}
                    for name, t, p in zip(names, true, predicted)}
    return out


def format_diagnostics(diagnostics, markdown=False):
    """The two tables as text lines (or Markdown): per joint its mean depth relative to the
    pelvis, per bone its mean length, true and predicted, in mm."""
    lines = []
    for key, title in (('depth_mm', 'Joint: mean depth from the pelvis (mm, + is farther)'),
                       ('bone_mm', 'Bone: mean length (mm)')):
        rows = diagnostics[key]
        if markdown:
            lines += ['| %s | true | predicted | predicted - true |' % title, '|:---|---:|---:|---:|']
            lines += ['| %s | %.1f | %.1f | %+.1f |' % (name, v['true'], v['predicted'],
                                                        v['predicted'] - v['true'])
                      for name, v in rows.items()]
        else:
            lines += ['%-56s %9s %9s' % (title, 'true', 'predicted')]
            lines += ['%-56s %9.1f %9.1f' % (name, v['true'], v['predicted'])
                      for name, v in rows.items()]
        lines.append('')
    return lines[:-1]
