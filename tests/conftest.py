import contextlib
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# The same CPU thread count in this process as in the commands the tests start (they set it
# the same way), so that numbers computed here and there agree bit for bit.
from lib.cli.threads import use_available_cores  # noqa: E402
use_available_cores()
from lib.data import synthetic  # noqa: E402
from tests import keypoint_fixtures  # noqa: E402


def run_process(*args, cwd=ROOT, timeout=600, env=None):
    """Run a project script in a new process of this interpreter; returns the CompletedProcess.
    For what only a process shows: signals, start-up, the thread count, a kill."""
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd, timeout=timeout,
                          capture_output=True, text=True, env=env)


_COMMANDS = {}


def command_module(script):
    """A command (train.py, tools/bench.py, ...) imported once as a module."""
    if script not in _COMMANDS:
        spec = importlib.util.spec_from_file_location(
            'command_' + script.replace('/', '_')[:-3], os.path.join(ROOT, script))
        module = importlib.util.module_from_spec(spec)
        handler = signal.getsignal(signal.SIGINT)
        spec.loader.exec_module(module)
        # lib.cli.interrupt, which a command imports first, is for a process starting up.
        signal.signal(signal.SIGINT, handler)
        _COMMANDS[script] = module
    return _COMMANDS[script]


def run_cli(script, *args, cwd=ROOT, timeout=None):
    """Run a project command in this process, as its `python SCRIPT ARGS` would run: its
    main(argv) through lib.cli.options.exit_status (the one-line errors and exit statuses of
    the command), with sys.argv[0], the working folder, stdout and stderr as a process has
    them. Returns a CompletedProcess (args, returncode, stdout, stderr). `timeout` is unused
    (kept for the callers of run_process)."""
    from lib.cli.options import close_logging, exit_status
    module = command_module(str(script))
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv[0], os.getcwd()
    sys.argv[0] = os.path.basename(str(script))
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = exit_status(module.main, argv)
            except SystemExit as e:          # argparse's errors and --help
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv[0] = saved[0]
        os.chdir(saved[1])
        close_logging()          # what the end of the command's process would close
    return subprocess.CompletedProcess([script] + argv, code, out.getvalue(), err.getvalue())


def only_run(root):
    """The one run folder under ROOT/output/model."""
    runs = os.listdir(os.path.join(root, 'output', 'model'))
    assert len(runs) == 1
    return os.path.join(root, 'output', 'model', runs[0])


def curves_without_seconds(run):
    """curves.csv of a run as rows of strings, the wall-time column left out."""
    return [l.split(',')[:-1] for l in open(os.path.join(run, 'curves.csv')).read().splitlines()]


def start_training_and_kill_after(epoch, root, *args):
    """Start train.py --root ROOT ARGS, wait until its resume.npz records `epoch` or later, and
    kill it (SIGKILL). Returns that checkpoint's state (None if it never came)."""
    proc = subprocess.Popen([sys.executable, 'train.py', '--root', str(root)]
                            + [str(a) for a in args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, state = time.time() + 300, None
    while time.time() < deadline:
        try:
            with np.load(os.path.join(only_run(root), 'resume.npz')) as z:
                state = json.loads(str(z['state']))
        except (OSError, ValueError, AssertionError, KeyError, EOFError):
            state = None
        if state and state['epoch'] >= epoch:
            break
        time.sleep(0.05)                 # polling for the file that shows the epoch
    proc.send_signal(signal.SIGKILL)     # the next epoch has begun, or is about to
    proc.wait()
    return state


def one_line_error(proc, *fragments):
    """A command that failed as a command should: status 2 and one line `error: ...` holding
    every fragment, no traceback."""
    assert proc.returncode == 2, (proc.stdout[-800:], proc.stderr[-800:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), proc.stderr
    assert 'Traceback' not in proc.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def no_run_folder(root):
    """True when nothing was made under ROOT/output/model."""
    return not os.path.exists(os.path.join(str(root), 'output', 'model'))


def write_yaml(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


@pytest.fixture
def run_copy(tmp_path, trained_run):
    """A copy of the session's trained run folder, tmp_path/run, for a test to change."""
    run = tmp_path / 'run'
    shutil.copytree(trained_run['run'], run)
    return run


@pytest.fixture
def format_files(tmp_path):
    """One keypoint file (or folder) of each detector format: {kind: (path, layout)}."""
    return keypoint_fixtures.format_files(tmp_path)


@pytest.fixture(scope='session')
def small_dataset(tmp_path_factory):
    """All 840 synthetic folders with 8 frames each (read-only for tests)."""
    root = tmp_path_factory.mktemp('small_dataset')
    synthetic.generate(str(root), frames=8, seed=0)
    return str(root)


TINY_NET = """
NETWORK:
  linear_size: 128
TRAIN:
  end_epoch: %d
TEST:
  batchsize: 500
"""


@pytest.fixture(scope='session')
def trained_run(tmp_path_factory):
    """train.py on a synthetic set of 24 frames a sequence with a small network."""
    base = tmp_path_factory.mktemp('trained')
    data = base / 'data'
    synthetic.generate(str(data), frames=24, seed=1)
    cfg = write_yaml(base / 'tiny.yaml', TINY_NET % 6)
    out = base / 'root'
    proc = run_cli('train.py', '--gpu', '-1', '--root', out, '--dataset', data, '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = os.listdir(out / 'output' / 'model')
    assert len(runs) == 1
    return {'data': str(data), 'root': str(out), 'run': str(out / 'output' / 'model' / runs[0]),
            'stdout': proc.stdout}
