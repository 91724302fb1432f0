"""Make a trained run the model that ships with the project: its parameters (in float16, half
the size, where that moves no joint by more than 0.1 mm; else float32), its config,
statistics, recordings and held-out results, and the checksums that tie them together, in one
folder that Lifter.load, infer.py and export.py read.

    .venv/bin/python tools/ship_model.py --model RUN/Model_epoch16.params --dataset FOLDER \
        --out models/mocap_camera_free [--replace]

--dataset is the data the run was trained on: the float16 model's predictions on the run's test
split are compared with the float32 model's. The run's test.py results (<model>_results.json)
must exist. The model
card (README.md in the folder) is written by hand; tests/test_shipped_model.py checks its
numbers against results.json.
"""
import os
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
from lib.core.files import atomic_path  # noqa: E402
from lib.data.dataset import load_split  # noqa: E402
from lib.infer.lifter import Lifter  # noqa: E402
from lib.model import run_files  # noqa: E402
from lib.train import runs  # noqa: E402

TOLERANCE_MM = 0.1
COPIED = (run_files.CONFIG_FILE, run_files.STATS_FILE, run_files.RECORDINGS_FILE)


def save_float16(path, params_file):
    """The parameters of `params_file` cast to float16, written to `path` atomically."""
    arrays = mx.nd.load(params_file)
    with atomic_path(path) as tmp:
        mx.nd.save(tmp, {k: v.astype(np.float16) for k, v in arrays.items()})


def largest_change(model, half, dataset):
    """The largest distance (mm) between a joint predicted by the float32 and the float16
    model on the run's test split."""
    full = Lifter.load(model, defaults=default_config())
    test = load_split(dataset, 'test', full.cfg.DATASET)
    shipped = Lifter(full.cfg, full.stats, half)
    return float(np.max(np.linalg.norm(full.predict(test['pose2d'], test['centre'])
                                       - shipped.predict(test['pose2d'], test['centre']),
                                       axis=-1)))


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
    change = largest_change(args.model, staged, args.dataset)
    if change > TOLERANCE_MM:
        with atomic_path(staged) as tmp:
            shutil.copyfile(args.model, tmp)
    for name in COPIED:
        with atomic_path(os.path.join(args.out, name)) as tmp:
            shutil.copyfile(os.path.join(run_dir, name), tmp)
    with atomic_path(os.path.join(args.out, 'results.json')) as tmp:
        shutil.copyfile(results, tmp)
    os.replace(staged, target)
    for name in (run_files.CONFIG_FILE, run_files.STATS_FILE, 'model.params'):
        runs.record_checksum(os.path.join(args.out, name))
    print('wrote %s: %s' % (args.out, 'float16, joints within %.4f mm of the float32 model on the '
                            'test split' % change if change <= TOLERANCE_MM else
                            'float32 (float16 would move a joint by %.3f mm)' % change))
    return 0


if __name__ == '__main__':
    run(main)
