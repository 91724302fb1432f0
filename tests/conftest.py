import json
import os
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


def run_cli(*args, cwd=ROOT, timeout=600):
    """Run a project script with this interpreter; returns the CompletedProcess."""
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd, timeout=timeout,
                          capture_output=True, text=True)


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
        time.sleep(0.05)
    if state:
        time.sleep(0.3)                  # somewhere inside the next epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return state


def write_yaml(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


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
