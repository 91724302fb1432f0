"""The second hostile round: nothing lost, nothing executed, nothing escapes its folder, no
traceback, no silent wrong result (doc/reliability.md, "Second round")."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from config import default_config, load_config
from lib.core.errors import PoseError
from lib.core.files import atomic_path, check_output, write_json
from lib.data import synthetic
from lib.core.resources import DEFAULT_CAMERAS
from lib.data.cameras import check_cameras, load_cameras, load_h36m_cameras
from lib.data.dataset import load_dataset
from lib.data.h36m.videopose3d import load_pickled_npz
from lib.infer.lifter import Lifter, device_context, score
from tests.conftest import ROOT, run_cli, write_yaml
from tests.test_hostile import one_line_error


class RunsCode:
    """A pickled object that would create a file when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ('touch %s' % self.marker,))


# ---- Security ------------------------------------------------------------------------------------

def test_a_pickle_that_runs_code_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / 'pwned'
    for key in ('positions_3d', 'positions_2d'):
        path = tmp_path / ('%s.npz' % key)
        np.savez(path, **{key: np.array({'S9': {'Walking': RunsCode(marker)}}, dtype=object)})
        with pytest.raises(PoseError, match='holds more than plain data'):
            load_pickled_npz(str(path), key)
        assert not marker.exists()


def test_a_detections_file_that_runs_code_is_refused_through_test_2d(tmp_path, small_dataset):
    """Reachable from the annotation source through DATASET.test_2d: refused, nothing run."""
    marker = tmp_path / 'pwned'
    data = tmp_path / 'data'
    shutil.copytree(small_dataset, data)
    np.savez(data / 'data_2d_h36m_evil.npz',
             positions_2d=np.array({'S9': RunsCode(marker)}, dtype=object))
    cfg = default_config().DATASET
    with pytest.raises(PoseError, match='data_2d_h36m_evil.npz: positions_2d holds more than'):
        load_dataset(str(data), [9], cfg, input_2d='evil')
    assert not marker.exists()


def test_numpy_2_files_are_read_as_plain_data(tmp_path):
    """A VideoPose3D file pickled under numpy 2 names numpy._core: read all the same."""
    path = tmp_path / 'a.npz'
    np.savez(path, positions_3d=np.array({'S1': {'Walking': np.ones((2, 32, 3))}}, dtype=object))
    import zipfile
    with zipfile.ZipFile(path) as z:
        raw = z.read('positions_3d.npy')
    raw = raw.replace(b'numpy.core.multiarray', b'numpy._core.multiarray')
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('positions_3d.npy', raw)
    value = load_pickled_npz(str(path), 'positions_3d')
    np.testing.assert_array_equal(value['S1']['Walking'], np.ones((2, 32, 3)))


# ---- Data loss -----------------------------------------------------------------------------------

def test_temporary_names_are_unique_and_never_an_input(tmp_path):
    """An input named like the old temporary name (output + .tmp) is neither overwritten nor
    renamed away; the temporary file is hidden, unique and gone afterwards."""
    out = tmp_path / 'poses.json'
    decoy = tmp_path / 'poses.json.tmp'
    decoy.write_text('input')
    with atomic_path(str(out)) as tmp:
        assert tmp != str(decoy) and os.path.basename(tmp).startswith('.poses.json.')
        open(tmp, 'w').write('{}')
    assert decoy.read_text() == 'input' and out.read_text() == '{}'
    assert sorted(os.listdir(tmp_path)) == ['poses.json', 'poses.json.tmp']
    assert oct(os.stat(out).st_mode & 0o777) != oct(0o600)        # not private like mkstemp's


def test_infer_never_touches_an_input_named_like_a_temporary_file(tmp_path, trained_run):
    from tests import keypoint_fixtures as fx
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    frames = [[fx.person_points('coco', shift=(4.0 * i, 0))] for i in range(3)]
    src = fx.coco_results(tmp_path / 'poses.json.tmp', frames)
    before = open(src).read()
    proc = run_cli('infer.py', '--model', model, '--input', src, '--output', tmp_path / 'poses.json')
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert open(src).read() == before
    assert json.load(open(tmp_path / 'poses.json'))['people']


def test_special_files_are_never_replaced(tmp_path, trained_run):
    fifo = tmp_path / 'fifo.onnx'
    os.mkfifo(fifo)
    with pytest.raises(PoseError, match='a device, FIFO or socket, not a regular file'):
        check_output(str(fifo), '--onnx')
    with pytest.raises(PoseError, match='is a folder'):
        check_output(str(tmp_path), '--output')
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('export.py', '--model', model, '--onnx', fifo)
    one_line_error(proc, '--onnx', 'not a regular file')
    assert os.path.exists(fifo) and not os.path.isfile(fifo)
    fifo_json = tmp_path / 'out.json'
    os.mkfifo(fifo_json)
    np.save(tmp_path / 'k.npy', np.tile(np.arange(51.0).reshape(1, 17, 3), (3, 1, 1)))
    proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--format', 'h36m',
                   '--output', fifo_json)
    one_line_error(proc, '--output', 'not a regular file')
    assert not os.path.isfile(fifo_json) and not (tmp_path / 'out_3d.npy').exists()


def test_no_output_replaces_a_run_s_own_files_or_a_file_it_did_not_create(tmp_path, trained_run):
    run = tmp_path / 'run'
    shutil.copytree(trained_run['run'], run)
    model = run / 'Model_epoch6.params'
    sums = (run / 'checksums.json').read_text()
    args = ('--root', tmp_path, '--dataset', trained_run['data'])
    proc = run_cli('test.py', *args, '--model', model, '--summary', run / 'checksums.json')
    one_line_error(proc, '--summary', 'is a file of the run')
    np.save(tmp_path / 'k.npy', np.zeros((2, 17, 3)))
    proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--format', 'h36m',
                   '--output', run / 'checksums.json')
    one_line_error(proc, '--output', 'is a file of the run')
    assert (run / 'checksums.json').read_text() == sums
    (tmp_path / 'notes.md').write_text('my notes\n')
    proc = run_cli('test.py', *args, '--model', model, '--summary', tmp_path / 'notes.json')
    one_line_error(proc, 'notes.md exists and is not a summary of test.py')
    assert (tmp_path / 'notes.md').read_text() == 'my notes\n'
    assert not (tmp_path / 'notes.json').exists()


def test_options_are_checked_before_anything_is_written(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    np.save(tmp_path / 'k.npy', np.tile(np.arange(51.0).reshape(1, 17, 3), (3, 1, 1)))
    (tmp_path / 'a_file').write_text('x')
    for option, value, message in (('--figures', tmp_path / 'a_file', 'is not a folder'),
                                   ('--images', tmp_path / 'nowhere', 'no such folder')):
        proc = run_cli('infer.py', '--model', model, '--input', tmp_path / 'k.npy', '--format',
                       'h36m', '--output', tmp_path / 'o.json', option, value)
        one_line_error(proc, option, str(value), message)
        assert not (tmp_path / 'o.json').exists() and not (tmp_path / 'o_3d.npy').exists()


def test_a_full_disk_while_opening_a_run_leaves_no_half_run_folder(tmp_path, small_dataset,
                                                                  monkeypatch):
    import errno
    import train
    cfg = write_yaml(tmp_path / 'c.yaml', 'NETWORK:\n  linear_size: 32\nTRAIN:\n  end_epoch: 1\n')

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(train, 'save_stats', no_space)
    monkeypatch.setattr(sys, 'argv', ['train.py', '--root', str(tmp_path), '--dataset',
                                      small_dataset, '--cfg', cfg])
    with pytest.raises(OSError):
        train.main()
    assert os.listdir(tmp_path / 'output' / 'model') == []


# ---- Silent wrong results ------------------------------------------------------------------------

def test_cameras_are_checked_whatever_file_they_come_from(tmp_path):
    cams = load_h36m_cameras(DEFAULT_CAMERAS)
    bent = {9: [dict(c) for c in cams[9]]}
    bent[9][1]['R'] = bent[9][1]['R'] * 1.5
    with pytest.raises(PoseError, match='subject 9 camera 2: R is not a rotation'):
        check_cameras(bent, 'x')
    negative = {9: [dict(c) for c in cams[9]]}
    negative[9][2]['f'] = -negative[9][2]['f']
    with pytest.raises(PoseError, match='subject 9 camera 3: the focal lengths'):
        check_cameras(negative, 'x')
    raw = json.load(open(DEFAULT_CAMERAS))
    raw['intrinsic'] = raw['intrinsic'][:3]
    path = tmp_path / 'three.json'
    path.write_text(json.dumps(raw))
    with pytest.raises(PoseError, match='3 cameras under "intrinsic", expected the 4'):
        load_cameras(str(path))
    from lib.data.cameras import save_cameras_h5
    save_cameras_h5(negative, str(tmp_path / 'neg.h5'))
    with pytest.raises(PoseError, match='neg.h5: subject 9 camera 3: the focal lengths'):
        load_cameras(str(tmp_path / 'neg.h5'))


def test_testing_on_the_training_subjects_is_called_a_training_set_error(tmp_path, trained_run):
    run = tmp_path / 'run'
    shutil.copytree(trained_run['run'], run)
    cfg = write_yaml(tmp_path / 'same.yaml', 'DATASET:\n  test_subjects: [1, 9]\n')
    before = set(os.listdir(run))
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   run / 'Model_epoch6.params', '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert 'WARNING: subjects S1 were also in the training set' in proc.stdout
    made = [p for p in set(os.listdir(run)) - before if p.endswith('_results.json')]
    assert len(made) == 1, made
    results = json.load(open(run / made[0]))
    assert results['trained_on'] == [1]
    assert '**Training-set error**' in open(run / made[0].replace('.json', '.md')).read()


def test_a_key_given_twice_is_refused(tmp_path):
    path = write_yaml(tmp_path / 'dup.yaml', 'TRAIN:\n  end_epoch: 1\nTRAIN:\n  end_epoch: 200\n')
    with pytest.raises(PoseError, match='line 3: key TRAIN given twice'):
        load_config(path)
    path = write_yaml(tmp_path / 'dup2.yaml', 'TRAIN:\n  lr: 0.1\n  lr: 0.2\n')
    with pytest.raises(PoseError, match='line 3: key lr given twice'):
        load_config(path)


def test_parameters_are_tied_to_their_statistics(tmp_path, trained_run):
    """A .params copied into another run's folder under a new name would be lifted with that
    run's statistics: refused."""
    other = tmp_path / 'other'
    shutil.copytree(trained_run['run'], other)
    shutil.copy(other / 'Model_epoch6.params', other / 'Imported.params')
    with pytest.raises(PoseError, match='not written by the run of this folder'):
        Lifter.load(str(other / 'Imported.params'))
    Lifter.load(str(other / 'Model_epoch6.params'))


def test_statistics_given_as_a_dict_are_checked(trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    good = Lifter.load(model).stats
    for change, message in ((dict(std2d=np.zeros(32)), 'std2d holds a standard deviation <= 0'),
                            (dict(mean3d=np.zeros(47)), 'mean3d has shape'),
                            (dict(mean2d=np.full(32, np.nan)), 'mean2d holds NaN')):
        with pytest.raises(PoseError, match=message):
            Lifter.load(model, stats=dict(good, **change))
    with pytest.raises(PoseError, match='expected a dict of mean2d'):
        Lifter.load(model, stats={'mean2d': 1})


def test_test_every_beyond_the_recordings_is_refused_and_json_stays_valid(tmp_path, trained_run):
    cfg = write_yaml(tmp_path / 'every.yaml', 'TEST:\n  every: 1000\n')
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   os.path.join(trained_run['run'], 'Model_epoch6.params'), '--cfg', cfg)
    one_line_error(proc, 'TEST.every 1000', 'keeps one frame of each recording')
    write_json({'a': float('nan'), 'b': [float('inf'), 1.5]}, str(tmp_path / 'x.json'))
    assert json.loads((tmp_path / 'x.json').read_text()) == {'a': None, 'b': [None, 1.5]}


# ---- Tracebacks and poor messages ----------------------------------------------------------------

def _vp3d(tmp_path, name, positions, metadata=None):
    arrays = {'positions_3d' if name == '3d' else 'positions_2d': np.array(positions, dtype=object)}
    if metadata is not None:
        arrays['metadata'] = np.array(metadata, dtype=object)
    np.savez(tmp_path / ('data_3d_h36m.npz' if name == '3d' else 'data_2d_h36m_%s.npz' % name),
             **arrays)


@pytest.mark.parametrize('positions, message', [
    ({'S9': [np.zeros((2, 32, 3))]}, 'S9 is a list, expected a dict of recordings'),
    ({'S9': {'Walking': 'not poses'}}, 'S9 Walking: a str, expected an array'),
    ({'S9': {3: np.zeros((2, 32, 3))}}, '3 is not a Human3.6M action name'),
    ({'S9': {'Walking': np.zeros((2, 96))}}, 'S9 Walking: shape (2, 96), expected (N, 32, 3)'),
    ({'S9': {'Walking': np.full((2, 32, 3), np.nan)}}, 'S9 Walking: NaN or infinity'),
])
def test_videopose3d_files_of_the_wrong_structure(tmp_path, positions, message):
    _vp3d(tmp_path, '3d', positions)
    with pytest.raises(PoseError) as e:
        load_dataset(str(tmp_path), [9], _dataset_cfg('videopose3d'))
    assert message in str(e.value)


def _dataset_cfg(source):
    cfg = default_config().DATASET
    cfg.source, cfg.cache = source, False
    return cfg


def test_detection_files_of_the_wrong_structure(tmp_path):
    synthetic.generate(str(tmp_path), frames=4, seed=0, subjects=[9], formats=('videopose3d',))
    cases = [({'S9': {'Walking': {'a': 1}}}, {'layout_name': 'h36m', 'num_joints': 17},
              'S9 Walking is a dict, expected a list of 4 cameras'),
             ({'S9': {}}, {'layout_name': 'h36m', 'num_joints': 'seventeen'},
              "metadata num_joints is 'seventeen', expected a whole number")]
    for positions, metadata, message in cases:
        _vp3d(tmp_path, 'bad', positions, metadata)
        with pytest.raises(PoseError) as e:
            load_dataset(str(tmp_path), [9], _dataset_cfg('videopose3d'), input_2d='bad')
        assert message in str(e.value)


def test_an_h5_whose_poses_are_a_group_or_transposed(tmp_path):
    import h5py
    synthetic.generate(str(tmp_path), frames=4, seed=0, subjects=[9], formats=('h5',))
    path = tmp_path / 'S9' / 'MyPoses' / '3D_positions' / 'Walking.h5'
    with h5py.File(path, 'w') as f:
        f.create_group('3D_positions')
    with pytest.raises(PoseError, match='Walking.h5: 3D_positions is a group'):
        load_dataset(str(tmp_path), [9], _dataset_cfg('h5'))
    with h5py.File(path, 'w') as f:
        f['3D_positions'] = np.zeros((4, 96))
    with pytest.raises(PoseError, match=r'3D_positions has shape \(4, 96\), expected \(96, N\)'):
        load_dataset(str(tmp_path), [9], _dataset_cfg('h5'))


def test_a_fifo_is_not_called_a_link(tmp_path, small_dataset):
    data = tmp_path / 'data'
    shutil.copytree(small_dataset, data)
    path = data / 'annot' / 's_09_act_02_subact_01_ca_01' / 'matlab_meta.txt'
    os.remove(path)
    os.mkfifo(path)
    with pytest.raises(PoseError, match='not a readable file \\(a device, FIFO or socket\\)'):
        load_dataset(str(data), [9], _dataset_cfg('annot'))


@pytest.mark.parametrize('text, message', [
    ('a: &a ["x", "x"]\n' + ''.join('%s: &%s [%s]\n' % (k, k, ', '.join(['*' + p] * 2))
                                    for p, k in zip('abcdefghijklmnop', 'bcdefghijklmnopq')),
     'more than 20 aliases'),
    ('[' * 5000 + ']' * 5000, 'nested deeper than 20 levels'),
])
def test_yaml_bombs_are_refused_fast(tmp_path, text, message):
    path = write_yaml(tmp_path / 'bomb.yaml', text)
    start = time.time()
    with pytest.raises(PoseError, match=message):
        load_config(path)
    assert time.time() - start < 5


def test_a_network_too_big_for_the_machine_is_refused_before_anything(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'big.yaml', 'NETWORK:\n  linear_size: 65536\n')
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset, '--cfg', cfg)
    one_line_error(proc, 'NETWORK.linear_size 65536', 'more than the')
    assert not (tmp_path / 'output').exists()


def test_the_python_api_checks_its_arguments(tmp_path, trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    lifter = Lifter.load(model)
    pose = np.zeros((3, 17, 2))
    calls = [
        (lambda: lifter.predict(pose, flip=True), 'centre: flip mirrors'),
        (lambda: lifter.predict(pose, centre=np.zeros((2, 2)), flip=True), 'centre: expected (3, 2)'),
        (lambda: score(np.zeros((3, 17, 3)), np.zeros((4, 17, 3)), np.zeros((3, 5))),
         'expected the same number of frames'),
        (lambda: score(np.zeros((3, 17, 3)), np.zeros((3, 17, 3)), np.zeros((3, 4))),
         'ids: expected shape'),
        (lambda: score(np.zeros((0, 17, 3)), np.zeros((0, 17, 3)), np.zeros((0, 5))),
         'at least one'),
        (lambda: lifter.evaluate({'pose2d': pose}), 'data: expected the dataset arrays'),
        (lambda: Lifter.load(trained_run['run']), 'a folder; give the .params file'),
        (lambda: Lifter.load(model, device='gpu:0'), "device 'gpu:0': MXNet sees no GPU"),
        (lambda: Lifter.load(model, cfg_files='x.yaml'), 'cfg_files: expected a list'),
        (lambda: lifter.lift(np.zeros((3, 17, 3)), max_missing=-1), 'max_missing'),
        (lambda: lifter.lift(np.zeros((3, 17, 3)), max_missing=16), 'max_missing'),
        (lambda: lifter.lift(np.zeros((3, 17, 3)), min_confidence=2), 'min_confidence'),
        (lambda: lifter.lift(np.zeros((3, 3, 3)), layout=('Foo', 'Bar', 'Baz')),
         'name no body joint'),
        (lambda: lifter.lift_file(tmp_path / 'x.json', person='some'), 'person'),
        (lambda: device_context('tpu'), 'expected cpu, gpu'),
    ]
    for call, message in calls:
        with pytest.raises(PoseError, match=message.replace('(', '\\(').replace(')', '\\)')):
            call()


def test_ctrl_c_while_workers_parse_ends_once_with_130(tmp_path):
    """Ctrl-C while the annotation-parsing pool runs: the workers ignore it, the parent reports
    it in one line, exit 130, no worker traceback, no hang."""
    data = tmp_path / 'data'
    synthetic.generate(str(data), frames=1500, seed=0, subjects=[1, 5])
    code = ('import sys; sys.path.insert(0, %r)\n'
            'from lib.cli.options import run\n'
            'from lib.data.dataset import load_subjects\n'
            'run(lambda: load_subjects(%r, [1, 5], workers=2) and 0)\n' % (ROOT, str(data)))
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    children = '/proc/%d/task/%d/children' % (proc.pid, proc.pid)
    deadline = time.time() + 60
    # Until both of the pool's workers run (a single child can be one that importing MXNet
    # starts and ends, which a loaded machine showed).
    while time.time() < deadline and len(open(children).read().split()) < 2:
        time.sleep(0.05)
    time.sleep(0.3)
    assert proc.poll() is None, 'parsing ended before it could be interrupted'
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-1500:]
    assert err.strip() == 'interrupted', err[-1500:]


def test_messages_name_the_right_file_and_fault(tmp_path):
    """A short Stacked Hourglass file of camera 3 is named by its own path; unreadable metadata
    is reported as unreadable, not read as the default layout."""
    import h5py
    synthetic.generate(str(tmp_path), frames=6, seed=0, subjects=[9], formats=('orig',))
    cfg = _dataset_cfg('h5')
    cfg.cameras = 'cameras.h5'
    short = tmp_path / 'S9' / 'StackedHourglass' / 'Walking.58860488.h5'
    with h5py.File(short, 'w') as f:
        f['poses'] = np.zeros((2, 16, 2))
    with pytest.raises(PoseError) as e:
        load_dataset(str(tmp_path), [9], cfg, input_2d='sh')
    assert str(e.value).startswith(str(short)) and 'camera 3: 2 frames, shorter' in str(e.value)
    positions = {'S9': {}}
    np.savez(tmp_path / 'data_2d_h36m_meta.npz', positions_2d=np.array(positions, dtype=object),
             metadata=np.array([1, 2, 3]))
    with pytest.raises(PoseError, match='metadata is not a dict'):
        load_dataset(str(tmp_path), [9], cfg, input_2d='meta')
