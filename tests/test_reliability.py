"""Never lose a run: kill and resume, Ctrl-C at any moment, atomic writes, a full disk, and
fuzzed parsers.
"""
import errno
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lib.core.errors import PoseError
from lib.core.resources import DEFAULT_CAMERAS
from lib.data import cameras, synthetic
from lib.data.h36m import annotation
from lib.infer.detector_files import read_keypoint_file
from lib.infer.options import LiftOptions
from lib.infer.tracking import assign_tracks, ordered_frames
from lib.train import resume, runs
from tests.conftest import (ROOT, TINY_NET, curves_without_seconds, one_line_error, only_run,
                            run_cli, start_training_and_kill_after, write_yaml)


FUZZ_EXAMPLES = 300


@pytest.mark.slow
def test_kill_and_resume_continues_the_run(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'c.yaml', TINY_NET % 6)
    # The uninterrupted run, for reference.
    ref = run_cli('train.py', '--root', tmp_path / 'ref', '--dataset', small_dataset, '--cfg', cfg)
    assert ref.returncode == 0, ref.stderr[-2000:]
    reference = curves_without_seconds(only_run(tmp_path / 'ref'))

    root = tmp_path / 'killed'
    state = start_training_and_kill_after(2, root, '--dataset', small_dataset, '--cfg', cfg)
    assert state, 'training never wrote its resume state'
    run = only_run(root)
    assert not os.path.exists(os.path.join(run, 'Model_epoch6.params'))
    done = len(curves_without_seconds(run)) - 1
    assert 2 <= done < 6
    # A checkpoint edited to name a log outside the run (its checksum recorded again, as an
    # attacker with write access to the run would): the resumed run logs where it always did.
    victim = tmp_path / 'victim.txt'
    victim.write_text('the user\'s file\n')
    _name_a_log_in_the_checkpoint(run, str(victim))

    resumed = run_cli('train.py', '--resume', run, '--dataset', small_dataset)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert 'resuming' in resumed.stdout
    assert victim.read_text() == 'the user\'s file\n'
    assert 'resuming' in open(runs.log_path(run)).read()
    curves = curves_without_seconds(run)
    assert [int(r[0]) for r in curves[1:]] == [1, 2, 3, 4, 5, 6]
    # The loss curve continues where it stopped: the same numbers as the run never killed.
    assert curves == reference
    assert os.path.exists(os.path.join(run, 'Model_epoch6.params'))
    assert not [f for f in os.listdir(run) if f.startswith('resume') or '.tmp' in f]
    assert 'resume.npz' not in json.load(open(os.path.join(run, 'checksums.json')))
    again = run_cli('train.py', '--resume', run, '--dataset', small_dataset)
    assert again.returncode == 2 and 'already finished' in again.stderr


def _name_a_log_in_the_checkpoint(run, log_file):
    """resume.npz's state with a 'log_file' (as checkpoints of earlier versions held), its new
    checksum recorded in checksums.json."""
    path = os.path.join(run, 'resume.npz')
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    state = json.loads(str(arrays['state']))
    state['log_file'] = log_file
    resume.write_checkpoint_file(path, arrays['params'].tobytes(), arrays['optimizer'].tobytes(),
                                 state)
    runs.record_checksum(path)


def test_resume_refuses_conflicting_options(tmp_path, trained_run):
    cfg = write_yaml(tmp_path / 'c.yaml', 'TRAIN:\n  lr: 0.1\n')
    proc = run_cli('train.py', '--resume', trained_run['run'], '--dataset', trained_run['data'],
                   '--cfg', cfg)
    assert proc.returncode == 2 and 'drop --cfg' in proc.stderr
    proc = run_cli('train.py', '--resume', trained_run['run'], '--dataset', trained_run['data'],
                   '--seed', 99)
    assert proc.returncode == 2 and '--seed 99 conflicts' in proc.stderr
    proc = run_cli('train.py', '--resume', tmp_path / 'nothing', '--dataset', trained_run['data'])
    assert proc.returncode == 2 and 'no such run folder' in proc.stderr


def test_a_new_run_never_reuses_a_folder(tmp_path):
    from lib.train.runs import new_run_dir
    a, b = new_run_dir(str(tmp_path), 'x'), new_run_dir(str(tmp_path), 'x')
    assert a != b and os.path.isdir(a) and os.path.isdir(b)


def test_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    """A JSON writer whose serialisation fails (ENOSPC raised before the temporary file is
    written) leaves the old file whole under its name and no temporary file."""
    from lib.core import files
    path = str(tmp_path / 'r.json')
    files.write_json({'old': 1}, path)

    def failing_dumps(*a, **k):
        raise OSError(errno.ENOSPC, 'No space left on device', path + '.tmp')
    monkeypatch.setattr(files.json, 'dumps', failing_dumps)
    with pytest.raises(OSError):
        files.write_json({'new': 2}, path)
    monkeypatch.undo()
    assert json.load(open(path)) == {'old': 1}
    assert os.listdir(tmp_path) == ['r.json']


@pytest.mark.parametrize('failing', ['checkpoint', 'figure'])
def test_a_disk_that_fills_up_while_training_says_what_the_run_keeps(tmp_path, small_dataset,
                                                                     monkeypatch, failing):
    """The disk fills in epoch 2: while MXNet writes the checkpoint (its own error type) or while
    the curves' figure is drawn. One line names the file and the epoch kept; resuming, once
    there is room again, ends the run with the numbers of a run never stopped."""
    import matplotlib.figure
    import mxnet as mx
    cfg = write_yaml(tmp_path / 'c.yaml', TINY_NET.replace('TRAIN:\n', 'TRAIN:\n  checkpoints: 3\n')
                     % 3)
    save_parameters, savefig = mx.gluon.Block.save_parameters, matplotlib.figure.Figure.savefig
    full = {'epoch': 0}

    def checkpoint_on_a_full_disk(net, path, *a, **k):
        if full['epoch'] >= 2:
            raise mx.base.MXNetError('[12:00:00] src/io/local_filesys.cc:209: Check failed: '
                                     'written == size (0 vs. 4096) : No space left on device')
        return save_parameters(net, path, *a, **k)

    def figure_on_a_full_disk(figure, path, *a, **k):
        full['epoch'] += 1                         # the figure is drawn once an epoch
        if failing == 'figure' and full['epoch'] >= 2:
            raise OSError(errno.ENOSPC, 'No space left on device')
        return savefig(figure, path, *a, **k)
    monkeypatch.setattr(matplotlib.figure.Figure, 'savefig', figure_on_a_full_disk)
    if failing == 'checkpoint':
        monkeypatch.setattr(mx.gluon.Block, 'save_parameters', checkpoint_on_a_full_disk)
    proc = run_cli('train.py', '--root', tmp_path / 'r', '--dataset', small_dataset, '--cfg', cfg)
    run = only_run(tmp_path / 'r')
    name = {'checkpoint': 'Checkpoint_epoch2.params', 'figure': 'curves.png'}[failing]
    one_line_error(proc, os.path.join(run, name), 'No space left on device',
                   'the run keeps epoch 1 (its resume.npz)', 'train.py --resume %s' % run)
    assert not [f for f in os.listdir(run) if '.tmp' in f]
    monkeypatch.undo()
    resumed = run_cli('train.py', '--resume', run, '--dataset', small_dataset)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert [int(row[0]) for row in curves_without_seconds(run)[1:]] == [1, 2, 3]
    assert os.path.isfile(os.path.join(run, 'Model_epoch3.params'))


def test_full_disk_while_caching_is_a_warning_not_a_crash(tmp_path, monkeypatch, caplog):
    from lib.data import cache, dataset
    synthetic.generate(str(tmp_path / 'd'), frames=2, seed=0, subjects=[9])

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(cache.np, 'savez', no_space)
    data = dataset.load_subjects(str(tmp_path / 'd'), [9], cache_dir=str(tmp_path / 'cache'))
    assert len(data['ids']) == 240
    assert 'could not write cache' in caplog.text
    assert not [f for f in os.listdir(tmp_path / 'cache') if f.endswith('.npz')]


def test_unwritable_output_is_one_line(tmp_path, small_dataset):
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    proc = run_cli('train.py', '--root', blocker, '--dataset', small_dataset,
                   '--cfg', write_yaml(tmp_path / 'c.yaml', TINY_NET % 1))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and str(blocker) in lines[0]


def test_statistics_that_do_not_match_the_model(tmp_path, trained_run, run_copy):
    run = run_copy
    np.savez(run / 'meanstd.npz', mean2d=np.zeros(30), std2d=np.ones(30), mean3d=np.zeros(48),
             std3d=np.ones(48))
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   run / 'Model_epoch6.params')
    # The run's checksums.json catches the change first ...
    assert proc.returncode == 2 and 'meanstd.npz: its SHA-256 differs' in proc.stderr
    # ... and without it (a run of an earlier version) the shape check does.
    os.remove(run / 'checksums.json')
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   run / 'Model_epoch6.params')
    assert proc.returncode == 2 and 'mean2d has shape (30,)' in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_point_behind_the_camera(tmp_path):
    synthetic.generate(str(tmp_path), frames=3, seed=0, subjects=[9])
    path = annotation.annotation_path(str(tmp_path), annotation.folder_name(9, 2, 1, 1))
    ann = annotation.parse_annotation(path)
    poses = ann['poses'].copy()
    poses[1, 0] = ann['T'] + ann['R'].T @ [0.0, 0.0, -100.0]   # the pelvis 10 cm behind the camera
    cam = cameras.load_h36m_cameras(DEFAULT_CAMERAS)[9][0]
    annotation.write_annotation(path, poses, cam)
    from lib.data.dataset import load_subjects
    with pytest.raises(PoseError, match='s_09_act_02_subact_01_ca_01.*frame 1 \\(line 11\\).*behind'):
        load_subjects(str(tmp_path), [9])


# Fuzzing: random and mutated files go through the parsers, which either return valid arrays
# or raise PoseError; any other exception fails the test. Deadlines catch hangs.
def _valid_annotation_text(frames=3):
    cam = cameras.load_h36m_cameras(DEFAULT_CAMERAS)[1][0]
    path = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'fuzz_seed_%d.txt' % os.getpid())
    annotation.write_annotation(path, synthetic.sequence(1, 2, 1, frames, 0), cam)
    text = open(path).read()
    os.remove(path)
    return text


VALID_ANNOTATION = _valid_annotation_text()


mutation = st.tuples(st.integers(0, len(VALID_ANNOTATION)), st.integers(0, 40),
                     st.text(alphabet=' \n0123456789.-+eEnaifx\t#', max_size=20))


def _check_annotation(tmp_path, text):
    path = tmp_path / 'matlab_meta.txt'
    path.write_bytes(text.encode('utf-8', 'surrogatepass') if isinstance(text, str) else text)
    try:
        ann = annotation.parse_annotation(str(path))
    except PoseError as e:
        assert '\n' not in str(e)
        return
    poses = ann['poses']
    assert poses.ndim == 3 and poses.shape[1:] == (32, 3) and np.all(np.isfinite(poses))
    assert ann['joints'].shape == (17,) and ann['joints'].min() >= 0 and ann['joints'].max() < 32


@settings(max_examples=FUZZ_EXAMPLES, deadline=2000, suppress_health_check=list(HealthCheck))
@given(st.lists(mutation, min_size=1, max_size=4))
def test_fuzz_annotation_parser_mutations(tmp_path_factory, mutations):
    text = VALID_ANNOTATION
    for at, cut, insert in mutations:
        text = text[:at] + insert + text[at + cut:]
    _check_annotation(tmp_path_factory.mktemp('fz'), text)


@settings(max_examples=FUZZ_EXAMPLES, deadline=2000, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400))
def test_fuzz_annotation_parser_random_bytes(tmp_path_factory, data):
    _check_annotation(tmp_path_factory.mktemp('fz'), data)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers(-10**6, 10**6) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=20) | st.dictionaries(
        st.sampled_from(['keypoints', 'image_id', 'people', 'pose_keypoints_2d', 'x', 'y',
                         'instances', 'frame_id', 'landmarks', 'keypoint_scores']), children,
        max_size=4),
    max_leaves=80)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES, deadline=2000, suppress_health_check=list(HealthCheck))
@given(json_values, st.sampled_from(['auto', 'h36m', 'coco', 'body25', 'halpe26']))
def test_fuzz_keypoint_readers(tmp_path_factory, value, fmt):
    """Any JSON value through the readers and the tracker: tracks of finite-or-missing 2D, or
    one line of PoseError."""
    path = tmp_path_factory.mktemp('kp') / 'k.json'
    path.write_text(json.dumps(value))
    try:
        detections = read_keypoint_file(str(path), fmt, image_size=(640, 480))
        tracks = assign_tracks(ordered_frames(detections), detections.layout, LiftOptions())
    except PoseError as e:
        assert '\n' not in str(e)
        return
    for track in tracks:
        assert track['pose2d'].shape[1:] == (17, 2)
        assert not np.any(np.isinf(track['pose2d']))
        assert len(track['rows']) == len(track['pose2d'])


def test_a_writer_failing_half_way_leaves_the_old_file_and_no_temporary(tmp_path):
    from lib.core.files import atomic_path
    path = str(tmp_path / 'checkpoint.params')
    open(path, 'w').write('old')
    with pytest.raises(OSError):
        with atomic_path(path) as tmp, open(tmp, 'w') as f:
            f.write('half of the new')
            raise OSError(errno.ENOSPC, 'No space left on device')
    assert open(path).read() == 'old'
    assert os.listdir(tmp_path) == ['checkpoint.params']


@pytest.mark.slow
def test_ctrl_c_while_starting(tmp_path):
    """Ctrl-C while MXNet is still importing: one line, status 130. `-X importtime` makes
    Python write a line to stderr as each import completes, so the interrupt goes out once the
    handler (lib.cli.interrupt) is in, and mxnet's own line shows that it came before MXNet."""
    proc = subprocess.Popen([sys.executable, '-X', 'importtime', 'train.py', '--dataset',
                             str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.rstrip().endswith('| lib.cli.interrupt'):
            break
    proc.send_signal(signal.SIGINT)
    err = proc.stderr.read()
    proc.wait(timeout=60)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 130 and 'Traceback' not in err and 'interrupted' in err
    assert not any(l.rstrip().endswith('| mxnet') for l in err.splitlines()), 'MXNet had loaded'


@pytest.mark.slow
def test_ctrl_c_while_workers_parse_ends_once_with_130(tmp_path):
    """Ctrl-C while the annotation-parsing pool runs: the workers ignore it, the parent reports
    it in one line, exit 130, no worker traceback, no hang. The parent prints a line when the
    first recording comes back from the pool, and the interrupt goes out on that line."""
    data = tmp_path / 'data'
    synthetic.generate(str(data), frames=1500, seed=0, subjects=[1, 5])
    code = ('import sys; sys.path.insert(0, %r)\n'
            'from lib.cli.options import run\n'
            'from lib.data.dataset import load_subjects\n'
            'def announce(recordings):\n'
            '    for k, recording in enumerate(recordings):\n'
            '        if k == 0:\n'
            '            print("parsing", flush=True)\n'
            '        yield recording\n'
            'run(lambda argv: load_subjects(%r, [1, 5], progress=announce, workers=2) and 0)\n'
            % (ROOT, str(data)))
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'parsing'
    assert proc.poll() is None, 'parsing ended before it could be interrupted'
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-1500:]
    assert err.strip() == 'interrupted', err[-1500:]
