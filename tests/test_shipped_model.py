"""The model that ships with the project: it loads with no arguments, lifts the example file to a
plausible person, infer.py and export.py use it without --model, and its card tells the truth
(the training command reproduces its config, the numbers are those of results.json, the
licences and acknowledgements are there)."""
import json
import os
import re

import numpy as np
import pytest

import config
from lib.core import h36m
from lib.core.resources import DEFAULT_CAMERAS, SHIPPED_MODEL
from lib.data.arrays import camera_view
from lib.data.cameras import load_cameras
from lib.data.synthetic import sequence
from lib.core.settings import to_plain
from lib.infer.bvh_export import bone_lengths
from lib.infer.lifter import Lifter
from tests.conftest import ROOT, run_cli

FOLDER = os.path.dirname(SHIPPED_MODEL)
CARD = os.path.join(FOLDER, 'README.md')
EXAMPLE = os.path.join(ROOT, 'doc', 'examples', 'walk_coco.json')


@pytest.fixture(scope='module')
def lifter():
    return Lifter.load()


def test_it_loads_with_no_arguments_and_is_camera_free(lifter):
    assert lifter.params == SHIPPED_MODEL and lifter.space == 'camera_free'
    size = sum(os.path.getsize(os.path.join(FOLDER, f)) for f in os.listdir(FOLDER))
    assert size <= 20 * 2 ** 20


def test_it_lifts_the_example_to_a_plausible_person(lifter):
    result = lifter.lift_file(EXAMPLE, smooth=1.0)
    walker = max(result.people, key=lambda person: len(person.rows))
    poses = walker.pose3d
    assert poses.shape[1:] == (17, 3) and np.all(np.isfinite(poses))
    bones = bone_lengths(poses)        # each joint's bone to its parent, median over frames
    thigh, shin = bones[h36m.JOINT_NAMES.index('RKnee')], bones[h36m.JOINT_NAMES.index('RFoot')]
    assert 300 < thigh < 550 and 300 < shin < 550
    # Upright in the camera frame (y down): the head above the pelvis above the feet (the camera
    # may look down on the person, so the body leans away in depth; see the test below).
    head, feet = poses[:, h36m.JOINT_NAMES.index('Head'), 1], poses[:, [3, 6], 1].mean(axis=1)
    assert np.all(head < -400) and np.all(feet > 400)
    # Left is left: the person faces the camera, so its left hip is on the image's right (+x).
    assert np.mean(poses[:, 4, 0] > poses[:, 1, 0]) > 0.8


def test_it_sees_how_far_the_camera_looks_down(lifter):
    """A skeleton the model never trained on (the synthetic set's) through each of Human3.6M's
    cameras, which look down on it by different angles: the feet's and the head's mean depth
    behind the pelvis follow the camera's, where a model that learnt one skeleton predicts an
    upright body square to every camera (the model shipped before missed by up to 244 mm)."""
    poses = sequence(9, 14, 1, 100, 0)[:, np.array(h36m.JOINTS_17_OF_32) - 1]
    joint = h36m.JOINT_NAMES.index
    head, feet = joint('Head'), [joint('RFoot'), joint('LFoot')]
    for camera in load_cameras(DEFAULT_CAMERAS)[9]:
        truth, pose2d = camera_view(poses, camera, False)
        truth = truth - truth[:, :1]
        predicted = lifter.predict(pose2d.astype(np.float32))
        for joints in (feet, [head]):
            assert abs(predicted[:, joints, 2].mean() - truth[:, joints, 2].mean()) < 80
        assert np.linalg.norm(predicted - truth, axis=-1).mean() < 90


def test_it_lifts_every_detector_format_to_a_person(lifter, format_files):
    """The hand-placed person as each detector writes it: one person within 1.5 m of the
    pelvis, upright, with human legs alike left and right. Its legs are short for its trunk in
    the image (230 px against 200 px from hips to shoulders), which the model reads as a camera
    looking down (the feet behind the pelvis) and a short thigh."""
    for kind, (path, _) in format_files.items():
        people = lifter.lift_file(str(path)).people
        assert len(people) == 1, kind
        pose = people[0].pose3d
        assert np.all(np.linalg.norm(pose, axis=-1) < 1500), kind
        joint = h36m.JOINT_NAMES.index
        assert np.all(pose[:, joint('Head'), 1] < -400) and np.all(pose[:, joint('RFoot'), 1] > 400)
        assert np.all(pose[:, [joint('RFoot'), joint('LFoot')], 2] > 0), kind
        bones = bone_lengths(pose)
        legs = [bones[joint(name)] for name in ('RKnee', 'RFoot', 'LKnee', 'LFoot')]
        assert all(250 < length < 550 for length in legs), (kind, legs)
        assert abs(legs[0] / legs[2] - 1) < 0.15 and abs(legs[1] / legs[3] - 1) < 0.15, kind


def test_infer_and_export_without_a_model(tmp_path):
    out = run_cli('infer.py', '--input', EXAMPLE, '--output', tmp_path / 'walk.json',
                  '--animation', tmp_path / 'walk.gif')
    assert out.returncode == 0, out.stderr[-2000:]
    written = json.loads((tmp_path / 'walk.json').read_text())
    assert written['model'] == SHIPPED_MODEL and os.path.getsize(tmp_path / 'walk.gif') > 10000
    out = run_cli('export.py', '--onnx', tmp_path / 'shipped.onnx')
    assert out.returncode == 0, out.stderr[-2000:]
    import onnxruntime
    session = onnxruntime.InferenceSession(str(tmp_path / 'shipped.onnx'))
    assert np.load(str(tmp_path / 'walk_3d.npy')).shape[1:] == (24, 17, 3)
    lifter = Lifter.load()
    rng = np.random.default_rng(0)
    keypoints = (np.array(h36m_standing())[None] * rng.uniform(0.5, 2.0, size=(8, 1, 1))
                 + rng.uniform(0, 1500, size=(8, 1, 2))).astype(np.float32)
    expected = lifter.predict(keypoints)
    onnx_in = keypoints[:, list(h36m.INPUT_JOINTS)].reshape(8, -1)
    got = session.run(None, {'data': onnx_in})[0].reshape(8, 16, 3)
    np.testing.assert_allclose(got, expected[:, list(h36m.OUTPUT_JOINTS)], atol=0.05)


def h36m_standing():
    """A person standing, facing the camera, in Human3.6M order (pixels)."""
    return [(500, 500), (470, 500), (468, 620), (466, 740), (530, 500), (532, 620), (534, 740),
            (500, 440), (500, 380), (500, 350), (500, 320), (540, 385), (555, 450), (560, 510),
            (460, 385), (445, 450), (440, 510)]


def test_the_card_command_gives_the_shipped_config():
    card = open(CARD).read()
    command = re.search(r'python train\.py [^\n]*', card).group(0)
    cfg_files = re.findall(r'--cfg (\S+)', command)
    assert cfg_files == ['configs/mocap_camera_free.yaml']
    rebuilt = config.load_configs([os.path.join(ROOT, f) for f in cfg_files])
    shipped = config.load_config(os.path.join(FOLDER, 'hyperParams.yaml'))
    assert to_plain(rebuilt) == to_plain(shipped)


def test_the_card_numbers_are_those_of_results_json():
    card = open(CARD).read()
    results = json.load(open(os.path.join(FOLDER, 'results.json')))
    row = re.search(r'\| held-out performers, their own cameras[^|]* \| ([\d.]+) / ([\d.]+) \|',
                    card)
    assert row, 'the card has no row of the held-out results'
    assert float(row.group(1)) == round(results['protocol1']['All frames'], 1)
    assert float(row.group(2)) == round(results['protocol2']['All frames'], 1)
    assert results['computed_from']['source'] == 'mocap'


def test_the_card_states_data_licences_and_acknowledgements():
    card = open(CARD).read()
    for text in ('The data used in this project was obtained from mocap.cs.cmu.edu.',
                 'The database was created with funding from NSF EIA-0196217.',
                 'CC BY-SA 3.0', 'Documentation Mocap Database HDM05',
                 'HDM_tr', 'takes.tsv'):
        assert text in card, text


def test_the_shipped_files_name_no_machine_s_paths():
    """results.json, the config and the recordings name files relative to the repository or
    the data folder, never a folder of the machine that made them."""
    folder = os.path.dirname(SHIPPED_MODEL)
    for name in sorted(os.listdir(folder)):
        if name.endswith(('.json', '.yaml', '.tsv', '.md')):
            text = open(os.path.join(folder, name)).read()
            found = re.findall(r'(?<![\w.~])/(?:tmp|work|root|home|Users|mnt|var|opt)/\S*', text)
            assert not found, '%s: %s' % (name, found[:3])
