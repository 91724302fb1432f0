"""Motion-capture readers (BVH, ASF/AMC) against poses computed by hand, the joint-name families,
units, rest frames, resampling, and the BVH writer's round trip."""
import numpy as np
import pytest

from lib.core import h36m
from lib.core.errors import PoseError
from lib.data.mocap import asf_amc, bvh, cmu_expmap
from lib.data.mocap.joints import Rig, to_h36m_joints
from lib.data.mocap.take import bvh_rig, bvh_unit, read_take, resample, rest_frames

# A hand-written BVH in the real files' shape: the root's channels in one order, the joints'
# in another, a position channel on a non-root joint, End Sites.
ARM_BVH = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT arm
    {
      OFFSET 5 0 0
      CHANNELS 4 Xposition Zrotation Xrotation Yrotation
      JOINT forearm
      {
        OFFSET 4 0 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        End Site
        {
          OFFSET 3 0 0
        }
      }
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.0333333
1 2 3  0 0 0  0 0 0  5 0 0 0  0 0 0
1 2 3  0 90 0  0 0 0  5 0 0 0  90 0 0
0 0 0  0 0 0  0 0 0  7 0 0 0  0 0 0
"""


def test_bvh_forward_kinematics_by_hand(tmp_path):
    path = tmp_path / 'arm.bvh'
    path.write_text(ARM_BVH)
    skeleton, motion, frame_time = bvh.read_bvh(str(path))
    assert skeleton.names == ['hips', 'spine', 'arm', 'forearm', 'forearm_end']
    assert frame_time == pytest.approx(1 / 30, rel=1e-5)
    pos = bvh.forward_kinematics(skeleton, motion)
    # Rest: the offsets add up from the root's position.
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [1, 12, 3], [6, 12, 3], [10, 12, 3],
                                        [13, 12, 3]], atol=1e-9)
    # The root turned 90 degrees about y (x goes to -z) and the elbow bent 90 about z (the
    # forearm's x goes to +y): the end site is 3 above the elbow.
    np.testing.assert_allclose(pos[1], [[1, 2, 3], [1, 12, 3], [1, 12, -2], [1, 12, -6],
                                        [1, 15, -6]], atol=1e-9)
    # A position channel on a joint holds its translation along its parent's axes, in place of
    # its OFFSET (as Blender reads it): 7 where the OFFSET says 5.
    np.testing.assert_allclose(pos[2, 2], [7, 10, 0], atol=1e-9)


SMALL_ASF = """# a hand-written skeleton in the CMU files' shape
:version 1.10
:name VICON
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name upper
     direction 1 0 0
     length 10
     axis 0 0 0  XYZ
    dof rx ry rz
    limits (-180.0 180.0)
           (-180.0 180.0)
           (-180.0 180.0)
  end
  begin
     id 2
     name lower
     direction 1 0 0
     length 5
     axis 0 0 90  XYZ
    dof rx
    limits (-180.0 180.0)
  end
:hierarchy
  begin
    root upper
    upper lower
  end
"""

SMALL_AMC = """#!OML:ASF X:\\f\xfcr Bonn\\skel.asf
:FULLY-SPECIFIED
:DEGREES
1
root 0 0 0 0 0 0
upper 0 0 0
lower 0
2
root 1 2 3 0 90 0
upper 0 0 0
lower 90
"""


def test_asf_amc_forward_kinematics_by_hand(tmp_path):
    (tmp_path / 'skel.asf').write_text(SMALL_ASF)
    (tmp_path / 'take_01.amc').write_bytes(SMALL_AMC.encode('latin-1'))   # HDM05's Latin-1 byte
    skeleton = asf_amc.read_asf(str(tmp_path / 'skel.asf'))
    assert skeleton.length_unit_mm == pytest.approx(25.4 / 0.45)
    motion = asf_amc.read_amc(str(tmp_path / 'take_01.amc'), skeleton)
    pos = asf_amc.forward_kinematics(skeleton, motion)
    np.testing.assert_allclose(pos['upper_end'][0], [10, 0, 0], atol=1e-9)
    np.testing.assert_allclose(pos['lower_end'][0], [15, 0, 0], atol=1e-9)
    # Frame 2: the root at (1, 2, 3) turned 90 about y: upper points along -z. The lower bone's
    # frame is turned 90 about z, so its rx turns about the world's y: (1, 0, 0) -> (0, 0, -1)
    # in its parent's frame, then the root's turn: -> (-1, 0, 0).
    np.testing.assert_allclose(pos['root'][1], [1, 2, 3], atol=1e-9)
    np.testing.assert_allclose(pos['upper_end'][1], [1, 2, -7], atol=1e-9)
    np.testing.assert_allclose(pos['lower'][1], pos['upper_end'][1], atol=1e-9)
    np.testing.assert_allclose(pos['lower_end'][1], [-4, 2, -7], atol=1e-9)
    assert asf_amc.asf_beside(str(tmp_path / 'take_01.amc')) == str(tmp_path / 'skel.asf')


def test_an_amc_of_another_skeleton_or_of_uneven_frames_is_refused(tmp_path):
    (tmp_path / 'skel.asf').write_text(SMALL_ASF)
    skeleton = asf_amc.read_asf(str(tmp_path / 'skel.asf'))
    (tmp_path / 'a.amc').write_text(SMALL_AMC.replace('lower 90', 'lowerarm 90'))
    with pytest.raises(PoseError, match='a.amc: '):
        asf_amc.read_amc(str(tmp_path / 'a.amc'), skeleton)
    (tmp_path / 'b.amc').write_text(SMALL_AMC.replace('upper 0 0 0\nlower 90\n', 'upper 0 0\n'
                                                      'lower 90\n'))
    with pytest.raises(PoseError, match='bone upper: expected 3 values a frame'):
        asf_amc.read_amc(str(tmp_path / 'b.amc'), skeleton)


# One pose of a standing person (y up, cm) under the four namings of the same joints.
STANDING = {'hips': (0, 90, 0), 'lhip': (10, 90, 0), 'lknee': (10, 50, 0), 'lankle': (10, 8, 0),
            'rhip': (-10, 90, 0), 'rknee': (-10, 50, 0), 'rankle': (-10, 8, 0),
            'neck': (0, 145, 0), 'head': (0, 155, 0), 'headtop': (0, 175, 0),
            'lshoulder': (18, 142, 0), 'lelbow': (45, 142, 0), 'lwrist': (70, 142, 0),
            'rshoulder': (-18, 142, 0), 'relbow': (-45, 142, 0), 'rwrist': (-70, 142, 0)}
def test_the_derived_joints_of_any_rig():
    """Human3.6M's placement of every rig's joints: the hips 1.45 times as far from the pelvis
    as the rig's joint centres, the spine half way to the thorax, the head 0.47 of the trunk
    from the thorax towards the rig's top of the head (its End Site, or 1.5 times the
    head-to-eyes vector above the eyes), Neck/Nose half way to it."""
    from lib.data.mocap.joints import HEAD_SHARE, HIP_WIDTH
    from tests.rig_fixtures import LANDMARKS, RIGS, rig_offsets
    for family in ('mixamo', 'cmu_daz'):
        names, parents, offsets = rig_offsets(RIGS[family])
        positions = np.zeros((1, len(names), 3))
        for k, p in enumerate(parents):
            positions[0, k] = offsets[k] + (positions[0, p] if p >= 0 else 0)
        joints = dict(zip(h36m.JOINT_NAMES, to_h36m_joints(Rig(names, parents, positions),
                                                           family)[0]))
        land = {k: np.array(v, float) / 10.0 for k, v in LANDMARKS.items()}   # cm
        pelvis = (land['lhip'] + land['rhip']) / 2
        np.testing.assert_allclose(joints['Hip'], pelvis, atol=1e-6)
        np.testing.assert_allclose(joints['LHip'], pelvis + HIP_WIDTH * (land['lhip'] - pelvis),
                                   atol=1e-6)
        np.testing.assert_allclose(joints['Spine'], (pelvis + land['neck']) / 2, atol=1e-6)
        eyes = (land['leye'] + land['reye']) / 2
        top = land['headtop'] if family == 'mixamo' else eyes + 1.5 * (eyes - land['head'])
        trunk = np.linalg.norm(land['neck'] - pelvis)
        head = land['neck'] + (top - land['neck']) / np.linalg.norm(top - land['neck']) \
            * HEAD_SHARE * trunk
        np.testing.assert_allclose(joints['Head'], head, atol=1e-6)
        np.testing.assert_allclose(joints['Neck/Nose'], (land['neck'] + head) / 2, atol=1e-6)


def test_resampling_to_50_hz():
    ramp = np.arange(121, dtype=float)[:, None, None] * np.ones((1, 17, 3))    # 1 s at 120 Hz
    out = resample(ramp, 120.0)
    assert len(out) == 51
    np.testing.assert_allclose(out[:, 0, 0], np.arange(51) * 120 / 50)
    np.testing.assert_allclose(resample(ramp[:30], 50.0), ramp[:30], atol=1e-9)


def _standing_bvh(scale, rest_frame):
    """A Daz-named standing skeleton whose file unit is `scale` cm, with a moving second
    frame and optionally a rest frame first."""
    tree = [('hip', None, 'hips'), ('lThigh', 'hip', 'lhip'), ('lShin', 'lThigh', 'lknee'),
            ('lFoot', 'lShin', 'lankle'), ('rThigh', 'hip', 'rhip'), ('rShin', 'rThigh', 'rknee'),
            ('rFoot', 'rShin', 'rankle'), ('neck', 'hip', 'neck'), ('head', 'neck', 'head'),
            ('head_end', 'head', 'headtop'), ('lShldr', 'neck', 'lshoulder'),
            ('lForeArm', 'lShldr', 'lelbow'), ('lHand', 'lForeArm', 'lwrist'),
            ('rShldr', 'neck', 'rshoulder'), ('rForeArm', 'rShldr', 'relbow'),
            ('rHand', 'rForeArm', 'rwrist')]
    names = [t[0] for t in tree]
    parents = [names.index(p) if p else -1 for _, p, _ in tree]
    offsets = [np.array(STANDING[w], float) - (np.array(STANDING[tree[names.index(p)][2]], float)
                                               if p else 0) for _, p, w in tree]
    channels = [['Xposition', 'Yposition', 'Zposition', 'Zrotation', 'Xrotation', 'Yrotation']
                if p is None else ([] if n.endswith('_end') else
                                   ['Zrotation', 'Xrotation', 'Yrotation']) for n, p, _ in tree]
    skeleton = bvh.Skeleton(names, parents, np.array(offsets) / scale, channels)
    width = skeleton.channel_count()
    moving = np.full(width, 4.0)
    moving[:3] = 0
    frames = [moving, moving + 5] if not rest_frame else [np.zeros(width), moving, moving + 5]
    return skeleton, np.array(frames)


def test_units_rest_frames_and_the_writer_round_trip(tmp_path):
    for scale, unit in ((1.0, 'cm'), (100.0, 'm'), (2.54, 'inch')):
        skeleton, motion = _standing_bvh(scale, rest_frame=True)
        assert bvh_unit(bvh_rig(skeleton, motion), 'standing')[1] == unit
        assert rest_frames(skeleton, motion) == 1
        path = str(tmp_path / ('s%g.bvh' % scale))
        bvh.write_bvh(path, skeleton, motion, 1 / 120)
        again, motion_again, frame_time = bvh.read_bvh(path)
        assert again.names == skeleton.names and frame_time == pytest.approx(1 / 120)
        np.testing.assert_allclose(bvh.forward_kinematics(again, motion_again),
                                   bvh.forward_kinematics(skeleton, motion), atol=1e-5)
        take = read_take(path)
        assert take.dropped == 1 and take.unit == {'cm': 10, 'm': 1000, 'inch': 25.4}[unit]
        # z up, mm: the head top stands above the ankles by the person's height (1.67 m).
        height = take.poses[0, 10, 2] - take.poses[0, 3, 2]
        assert 1400 < height < 1800
    with pytest.raises(PoseError, match='rate 0: expected frames a second'):
        read_take(path, rate=0)


def test_bvh_files_of_other_shapes_are_refused(tmp_path):
    cases = {'no hierarchy': ('MOTION\nFrames: 1\nFrame Time: 0.1\n0\n', 'not a BVH file'),
             'short motion': (ARM_BVH.replace('Frames: 3', 'Frames: 4'), 'needs 64 values'),
             'bad channel': (ARM_BVH.replace('Zrotation Xrotation Yrotation\n        End',
                                             'Zrotation Xrotation Wrotation\n        End'),
                             'expected 3 channels')}
    for name, (text, message) in cases.items():
        path = tmp_path / (name.replace(' ', '_') + '.bvh')
        path.write_text(text)
        with pytest.raises(PoseError, match=message):
            bvh.read_bvh(str(path))


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_motion_files_give_one_line_errors(tmp_path, data):
    """Any token of a BVH, ASF or AMC file dropped, doubled or replaced: the readers either read
    it or raise a PoseError, never another exception."""
    texts = {'a.bvh': ARM_BVH, 'skel.asf': SMALL_ASF, 'take.amc': SMALL_AMC}
    name = data.draw(st.sampled_from(sorted(texts)))
    tokens = texts[name].split(' ')
    k = data.draw(st.integers(0, len(tokens) - 1))
    change = data.draw(st.sampled_from(['drop', 'double', 'nan', 'word', 'brace']))
    token = {'drop': [], 'double': [tokens[k]] * 2, 'nan': ['nan'], 'word': ['xyz'],
             'brace': ['}']}[change]
    damaged = dict(texts, **{name: ' '.join(tokens[:k] + token + tokens[k + 1:])})
    for file, text in damaged.items():
        (tmp_path / file).write_bytes(text.encode('latin-1'))
    try:
        if name == 'a.bvh':
            skeleton, motion, _ = bvh.read_bvh(str(tmp_path / 'a.bvh'))
            bvh.forward_kinematics(skeleton, motion)
        else:
            skeleton = asf_amc.read_asf(str(tmp_path / 'skel.asf'))
            asf_amc.forward_kinematics(skeleton, asf_amc.read_amc(str(tmp_path / 'take.amc'),
                                                                  skeleton))
    except PoseError:
        pass


def _expmap_line(root=(0.0, 17.0, 0.0), rotations=None):
    values = np.zeros(117)
    values[:3] = root
    for joint, vector in (rotations or {}).items():
        k = 3 + 3 * cmu_expmap.NAMES.index(joint)
        values[k:k + 3] = vector
    return ','.join('%.17g' % v for v in values)


def test_cmu_exponential_maps_by_hand(tmp_path):
    rest = _expmap_line(rotations={'lfemur': (0.3, 0, 0)})           # the first line is not motion
    turned = _expmap_line(rotations={'hip': (0, np.pi / 2, 0)})       # the root turned 90 about y
    bent = _expmap_line(root=(1, 2, 3), rotations={'ltibia': (np.pi / 2, 0, 0)})   # a bent knee
    path = tmp_path / 'walking_1.txt'
    path.write_text('\n'.join([rest, turned, bent]) + '\n')
    assert cmu_expmap.looks_like_expmap(str(path))
    motion = cmu_expmap.read_expmap(str(path))
    assert motion.shape == (2, 117)
    pos = cmu_expmap.forward_kinematics(motion)
    # Frame 1: a joint's own rotation is the transpose of its Rodrigues matrix, so the left hip
    # offset (1.65674, -1.80282, 0.62477) turns to (-0.62477, -1.80282, 1.65674).
    np.testing.assert_allclose(pos['lfemur'][0], [-0.62477, 17 - 1.80282, 1.65674], atol=1e-9)
    # Frame 2: the knee turned 90 degrees about x sends the shin (2.49236, -6.8477, 0) to
    # (2.49236, 0, 6.8477); the root at (1, 2, 3).
    np.testing.assert_allclose(pos['hip'][1], [1, 2, 3], atol=1e-9)
    np.testing.assert_allclose(pos['lfoot'][1] - pos['ltibia'][1], [2.49236, 0, 6.8477],
                               atol=1e-9)
    take = read_take(str(path))
    assert take.rate == 120.0 and take.dropped == 1 and take.unit == pytest.approx(25.4 / 0.45)
    # z up, mm: the standing frame's head top is 1.2-1.5 m above its ankles.
    assert 1200 < take.poses[0, 10, 2] - take.poses[0, 3, 2] < 1500


@pytest.mark.parametrize('lines, message', [
    (['1,2,3'] * 3, 'line 1: expected 117 finite comma-separated numbers, got 3'),
    ([_expmap_line()] * 2 + [_expmap_line().replace('17,', 'nan,', 1)],
     'line 3: expected 117 finite'),
    ([_expmap_line()] * 2 + ['a,b'], 'line 3: expected 117 comma-separated numbers'),
    ([_expmap_line()] * 2, 'fewer than 2 frames of motion after the rest pose'),
])
def test_bad_exponential_map_files_are_refused(tmp_path, lines, message):
    path = tmp_path / 'x.txt'
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(PoseError, match=message):
        cmu_expmap.read_expmap(str(path))
