"""A training run's folder and its files, written (lib.model.run_files reads them back).

A training run lives in ROOT/output/model/<YYYY-mm-dd_HH-MM-SS>_<name>/ with
  hyperParams.yaml                    the resolved config it ran with,
  meanstd.npz                         the normalisation statistics of its training set,
  Checkpoint_epoch<N>.params          at epoch 1 and every end_epoch // checkpoints epochs,
  Model_epoch<end>.params             the final model,
  checksums.json                      the SHA-256 of every file above (and of resume.npz),
                                      checked whenever one is read back,
  recordings.json                     the recordings (and frames) trained and tested on, and
                                      those left out,
  resume.npz                          the checkpoint of an unfinished run (lib.train.resume),
  curves.csv, curves.png              the training curves, rewritten every epoch,
  .lock                               held while a train.py uses the folder,
and its log in ROOT/output/train-log/<same name>.log. test.py writes its results beside the
model it evaluates (lib.eval.report.results_stem).
"""
import fcntl
import os
import time

import mxnet as mx
import numpy as np

from lib.core.errors import PoseError, error_reason
from lib.core.files import atomic_path, read_json, write_json
from lib.data.arrays import ACTION, RECORDING, SUBJECT, id_names
from lib.model.run_files import CHECKSUM_FILE, file_sha256, read_run


def new_run_dir(root, name):
    """Create and return a fresh run folder; an existing one is never reused."""
    base = os.path.join(root, 'output', 'model', '%s_%s' % (time.strftime('%Y-%m-%d_%H-%M-%S'), name))
    path, k = base, 1
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            k += 1
            path = '%s_%d' % (base, k)
        except OSError as e:
            raise PoseError('%s: cannot create the run folder (%s)' % (path, e.strerror))


def record_checksum(path):
    """Note the SHA-256 of a file train.py wrote in its folder's checksums.json."""
    book = os.path.join(os.path.dirname(os.path.abspath(path)), CHECKSUM_FILE)
    sums = read_json(book) or {}
    sums[os.path.basename(path)] = file_sha256(path)
    write_json(sums, book)


def forget_checksums(run_dir, names):
    book = os.path.join(run_dir, CHECKSUM_FILE)
    sums = read_json(book)
    if sums and any(n in sums for n in names):
        write_json({k: v for k, v in sums.items() if k not in names}, book)


def save_parameters(net, path):
    """net.save_parameters, written under a temporary name and renamed, its checksum recorded."""
    with atomic_path(path) as tmp:
        net.save_parameters(tmp)
    record_checksum(path)




def recordings_record(data):
    """The recordings a run used and left out (lib.data.arrays data), and its frames (all views)
    per subject (performer) and action (motion class): for recordings.json."""
    used = sorted({tuple(int(v) for v in r) for r in data['ids'][:, RECORDING]})
    names = {tuple(int(v) for v in r): str(n)
             for r, n in zip(data.get('rec_ids', []), data.get('rec_names', []))}
    subjects, actions = id_names(data)
    pairs, counts = np.unique(data['ids'][:, [SUBJECT, ACTION]], axis=0, return_counts=True)
    frames_by = {}
    for (s, a), n in zip(pairs.tolist(), counts.tolist()):
        frames_by.setdefault(subjects.get(s, str(s)), {})[actions.get(a, str(a))] = n
    return {'recordings': [{'subject': subjects.get(s, s), 'action': actions.get(a, a),
                            'subaction': u, 'name': names.get((s, a, u), '')}
                           for s, a, u in used],
            'frames': int(len(data['ids'])), 'frames_by_subject_and_action': frames_by,
            'left_out': data.get('left_out', [])}


def log_path(run_dir):
    """The log of the run in `run_dir` (ROOT/output/model/<name>): ROOT/output/train-log/<name>.log,
    worked out from the run folder alone, never read from a file (a resumed run logs where it
    always did, whatever its checkpoint says)."""
    run_dir = os.path.abspath(run_dir)
    return os.path.join(os.path.dirname(os.path.dirname(run_dir)), 'train-log',
                        os.path.basename(run_dir) + '.log')


def load_run_dir(run_dir, defaults=None):
    """Config and statistics of a run folder (for --resume)."""
    if not os.path.isdir(run_dir):
        raise PoseError('--resume %s: no such run folder' % run_dir)
    return read_run(run_dir, [], '--resume %s' % run_dir, defaults)


def lock_run_dir(run_dir):
    """Hold an exclusive lock on the run folder for this process's life: a second train.py on
    the same run (two --resume at once) is refused instead of racing."""
    handle = open(os.path.join(run_dir, '.lock'), 'a')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise PoseError('%s: another train.py is using this run folder' % run_dir)
    return handle


def write_run_file(path, write, kept, run_dir):
    """write(path) for a file of the training run in `run_dir`: the one place its files go
    through while it trains. A failing write (a full disk, a folder gone: an OSError, or the
    MXNetError of a parameter file) becomes one line naming the file, why, and what the run
    keeps: the last epoch whose resume checkpoint is complete (`kept`; 0 for none)."""
    try:
        write(path)
    except (OSError, mx.base.MXNetError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else error_reason(e)
        where = e.filename if isinstance(e, OSError) and e.filename else path
        then = ('the run keeps epoch %d (its resume.npz): make room, then train.py --resume %s'
                % (kept, run_dir) if kept else
                'no epoch of the run was complete: make room and start it again')
        raise PoseError('%s: %s; %s' % (where, reason, then)) from e
