"""Check a BVH file in Blender: import it with Blender's own BVH importer, headless, and compare
every bone's world position in every frame with this project's forward kinematics of the file.

    .venv/bin/python tools/blender_check.py walk.bvh [--blender blender]

Blender (Debian's `blender` package, 3.4; `apt-get install blender`) runs in the background:
`blender -b --python-expr ...` imports the file (axis forward -Z, up Y: the importer's
defaults, Y up becoming Blender's Z up) and writes, for every frame, the head of each pose bone
in world space. Blender 3.4's importer opens files with mode 'rU', which Python 3.11 refuses, so
the script maps that mode to 'r'. Prints the bones, the frames and the largest distance (cm)
between Blender's joints and ours; exits 1 when a bone or a frame is missing or a joint is
farther than --tolerance (default 2 cm). Not part of the test suite (Blender is not a
requirement); doc/inference.md gives a measured run.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

from lib.data.mocap import bvh  # noqa: E402

# Runs inside Blender: import the file, step through its frames, write the bones' heads.
BLENDER_SCRIPT = r'''
import builtins, json, sys
import bpy
_open = builtins.open
def _open_r(file, mode='r', *args, **kwargs):
    return _open(file, mode.replace('U', ''), *args, **kwargs)
builtins.open = _open_r
path, out = sys.argv[sys.argv.index('--') + 1:][:2]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_anim.bvh(filepath=path, update_scene_fps=True, update_scene_duration=True)
armature = [o for o in bpy.context.scene.objects if o.type == 'ARMATURE'][0]
scene = bpy.context.scene
first, last = (int(round(v)) for v in armature.animation_data.action.frame_range)
frames = []
for frame in range(first, last + 1):
    scene.frame_set(frame)
    frames.append({b.name: list(armature.matrix_world @ b.head) for b in armature.pose.bones})
builtins.open = _open
with open(out, 'w') as f:
    json.dump({'bones': [b.name for b in armature.data.bones], 'frames': frames,
               'fps': scene.render.fps / scene.render.fps_base}, f)
'''


def blender_joints(path, blender):
    """{'bones', 'frames': [{bone: [x, y, z]}], 'fps'} as Blender imports the file."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, 'joints.json')
        proc = subprocess.run([blender, '-b', '--factory-startup', '--python-expr',
                               BLENDER_SCRIPT, '--', os.path.abspath(path), out],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not os.path.isfile(out):
            sys.exit('blender failed:\n' + proc.stdout[-2000:] + proc.stderr[-2000:])
        return json.load(open(out))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('bvh', help='the BVH file to check')
    parser.add_argument('--blender', default='blender', help='the Blender executable')
    parser.add_argument('--tolerance', type=float, default=2.0, help='cm (default 2)')
    args = parser.parse_args(argv)
    if not shutil.which(args.blender):
        sys.exit('%s: not found (Debian: apt-get install blender)' % args.blender)
    skeleton, motion, frame_time = bvh.read_bvh(args.bvh)
    ours = bvh.forward_kinematics(skeleton, motion)
    joints = [k for k, name in enumerate(skeleton.names) if skeleton.channels[k]]
    seen = blender_joints(args.bvh, args.blender)
    missing = [skeleton.names[k] for k in joints if skeleton.names[k] not in seen['bones']]
    # The importer's defaults: BVH (x, y, z) with Y up -> Blender (x, -z, y), Z up.
    theirs = np.array([[seen['frames'][f][skeleton.names[k]] for k in joints]
                       for f in range(len(seen['frames']))]) if not missing else None
    expected = ours[:, joints][..., [0, 2, 1]] * [1, -1, 1]
    worst = (np.abs(np.linalg.norm(theirs - expected, axis=-1)).max()
             if theirs is not None and theirs.shape == expected.shape else float('inf'))
    upright, facing = posture(seen) if not missing else (False, False)
    print('%s: %d bones in Blender for %d joints (missing: %s); %d frames (the file: %d) at %.3g '
          'fps (the file: %.3g); the largest distance between Blender\'s joints and ours: %.4f '
          'cm; upright (head above hips above feet, Z up): %s; facing the front view (-Y): %s'
          % (args.bvh, len(seen['bones']), len(joints), ', '.join(missing) or 'none',
             len(seen['frames']), len(motion), seen['fps'], 1 / frame_time, worst,
             'yes' if upright else 'no', 'yes' if facing else 'no'))
    good = not missing and len(seen['frames']) == len(motion) and worst <= args.tolerance
    return 0 if good else 1


def posture(seen):
    """(upright, facing front) of the character as Blender shows it, when its bones have the
    names infer.py --bvh writes: in most frames the head above the hips above the feet (Z up),
    and the hips' line crossed with the trunk pointing along Blender's -Y (its front view
    looks along +Y, so a character facing the viewer faces -Y)."""
    names = ('Head', 'Hips', 'LeftFoot', 'RightFoot', 'LeftUpLeg', 'RightUpLeg', 'Spine')
    if not all(n in seen['bones'] for n in names):
        return False, False
    at = {n: np.array([frame[n] for frame in seen['frames']]) for n in names}
    feet = np.maximum(at['LeftFoot'][:, 2], at['RightFoot'][:, 2])
    upright = np.mean((at['Head'][:, 2] > at['Hips'][:, 2]) & (at['Hips'][:, 2] > feet)) > 0.9
    facing = np.cross(at['LeftUpLeg'] - at['RightUpLeg'], at['Spine'] - at['Hips'])
    return bool(upright), bool(np.median(-facing[:, 1] / np.linalg.norm(facing, axis=1)) > 0.9)


if __name__ == '__main__':
    sys.exit(main())
