"""Make a trained run the model that ships with the project: its parameters (in float16, half
the size, where that moves its mean error on the run's test split by less than 0.5 mm; else
float32), its config, statistics, recordings and held-out results (with no path of this
machine in them), and the checksums that tie them together, in one folder that Lifter.load,
infer.py and export.py read.

    .venv/bin/python tools/ship_model.py --model RUN/Model_epoch20.params --dataset FOLDER \
        --out models/mocap_camera_free [--replace]

--dataset is the data the run was trained on: the float16 model's Protocol #1 on the run's test
split is compared with the float32 model's. The run's test.py results (<model>_results.json)
must exist. The model
card (README.md in the folder) is written by hand; tests/test_shipped_model.py checks its
numbers against results.json.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib.cli.interrupt  # noqa: E402,F401  (first of all: Ctrl-C while loading is one line)
from lib.cli.threads import use_available_cores  # noqa: E402
use_available_cores()   # before mxnet loads: it reads OMP_NUM_THREADS only then
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

from config import default_config  # noqa: E402
from lib.cli.options import parser_for, run  # noqa: E402
from lib.core.errors import PoseError  # noqa: E402
from lib.core.files import atomic_path, read_json, write_json  # noqa: E402
from lib.core.resources import REPOSITORY  # noqa: E402
from lib.data.dataset import load_split  # noqa: E402
from lib.eval.evaluation import ground_truth_poses  # noqa: E402
from lib.eval.metrics import protocol_errors  # noqa: E402
from lib.infer.lifter import Lifter  # noqa: E402
from lib.model import run_files  # noqa: E402
from lib.train import runs  # noqa: E402

TOLERANCE_MM = 0.5         # the change of the mean error (Protocol #1) float16 may make
COPIED = (run_files.CONFIG_FILE, run_files.STATS_FILE, run_files.RECORDINGS_FILE)


def save_float16(path, params_file):
    """The parameters of `params_file` cast to float16, written to `path` atomically."""
    arrays = mx.nd.load(params_file)
    with atomic_path(path) as tmp:
        mx.nd.save(tmp, {k: v.astype(np.float16) for k, v in arrays.items()})


def error_change(model, half, dataset):
    """(the change of Protocol #1 over every frame of the run's test split, mm, from the float32
    to the float16 model; the largest distance between a joint each predicts, mm)."""
    full = Lifter.load(model, defaults=default_config())
    test = load_split(dataset, 'test', full.cfg.DATASET)
    shipped = Lifter(full.cfg, full.stats, half)
    ours, theirs = (lifter.predict(test['pose2d'], test['centre']) for lifter in (full, shipped))
    truth = ground_truth_poses(test['pose3d'])
    p1 = [float(protocol_errors(pred, truth)['p1'].mean()) for pred in (ours, theirs)]
    return p1[1] - p1[0], float(np.max(np.linalg.norm(ours - theirs, axis=-1)))


# An absolute path in a text: a slash, then a folder name, then more of the path.
ABSOLUTE_PATH = re.compile(r'(?<![\w.~])/[^\s/\'",;]+(?:/[^\s/\'",;]+)*')


def portable(value):
    """`value` (JSON data) with every absolute path of this machine made relative to the
    repository when it lies inside it, else cut to its last part: shipped files name no
    machine's folders."""
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [portable(v) for v in value]
    if not isinstance(value, str):
        return value

    def relative(match):
        path = match.group(0)
        inside = os.path.commonpath([REPOSITORY, os.path.abspath(path)]) == REPOSITORY
        return os.path.relpath(path, REPOSITORY) if inside else os.path.basename(path)
    return ABSOLUTE_PATH.sub(relative, value)


def main(argv=None):
    parser = parser_for(__doc__)
    parser.add_argument('--model', required=True, help='Model_epochN.params of a finished run')
    parser.add_argument('--dataset', required=True, help='the data the run was trained on')
    parser.add_argument('--out', required=True, help='the folder to write')
    parser.add_argument('--replace', action='store_true',
                        help='replace the model of an existing shipped-model folder')
    args = parser.parse_args(argv)
    run_dir = os.path.dirname(os.path.abspath(args.model))
    results = args.model[:-len('.params')] + '_results.json'
    for path in [results] + [os.path.join(run_dir, name) for name in COPIED]:
        if not os.path.isfile(path):
            raise PoseError('--model %s: %s is missing (train.py and test.py write it)'
                            % (args.model, path))
    target = os.path.join(args.out, 'model.params')
    if os.path.exists(target) and not args.replace:
        raise PoseError('--out %s: holds a model already; pass --replace to replace it' % args.out)
    os.makedirs(args.out, exist_ok=True)
    staged = os.path.join(args.out, '.model.float16.params')
    save_float16(staged, args.model)
    change, largest = error_change(args.model, staged, args.dataset)
    if abs(change) >= TOLERANCE_MM:
        with atomic_path(staged) as tmp:
            shutil.copyfile(args.model, tmp)
    for name in COPIED:
        with atomic_path(os.path.join(args.out, name)) as tmp:
            shutil.copyfile(os.path.join(run_dir, name), tmp)
    write_json(portable(read_json(results)), os.path.join(args.out, 'results.json'))
    os.replace(staged, target)
    for name in (run_files.CONFIG_FILE, run_files.STATS_FILE, 'model.params'):
        runs.record_checksum(os.path.join(args.out, name))
    print('wrote %s: %s' % (args.out, 'float16: Protocol #1 %+.3f mm from the float32 model on '
                            'the test split (a joint moves by %.3f mm at most)' % (change, largest)
                            if abs(change) < TOLERANCE_MM else 'float32 (float16 would move '
                            'Protocol #1 by %+.3f mm)' % change))
    return 0


if __name__ == '__main__':
    run(main)
