"""The fast recipe's parts: the cosine schedule and warm-up, the frame subset per epoch, the
time budget (planning, stopping, resuming); their options' ranges are in tests/test_config.py."""
import json
import os
import re

import numpy as np
import pytest
from easydict import EasyDict

from config import default_config, load_configs
from lib.model import run_files
from lib.train.budget import TimeBudget
from lib.train.loop import (bn_momentum, epoch_frames, epoch_steps, learning_rate, run_steps,
                            stride_offset)
from tests.conftest import (ROOT, curves_without_seconds, only_run, run_cli,
                            start_training_and_kill_after, write_yaml)


def _train_cfg(**kw):
    cfg = EasyDict(default_config().TRAIN)
    cfg.update(kw)
    return cfg


def test_cosine_schedule_values():
    cfg = _train_cfg(schedule='cosine', lr=0.01, lr_floor=0.1)
    assert learning_rate(0, cfg, 1000) == pytest.approx(0.01)
    assert learning_rate(500, cfg, 1000) == pytest.approx(0.01 * (0.1 + 0.9 * 0.5))
    assert learning_rate(250, cfg, 1000) == pytest.approx(
        0.01 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi / 4))))
    assert learning_rate(1000, cfg, 1000) == pytest.approx(0.001)
    assert learning_rate(5000, cfg, 1000) == pytest.approx(0.001)      # flat after the end
    rates = [learning_rate(s, cfg, 1000) for s in range(0, 1001, 10)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))              # never rises
    with pytest.raises(ValueError, match='total steps'):
        learning_rate(0, cfg)


def test_bn_momentum_is_annealed_geometrically_in_the_share_of_a_new_batch():
    # From 0.9 (a tenth of each batch) to 0.999 (a thousandth) over 3 epochs: a hundredth in
    # the middle one; a constant momentum when the start is 0.
    assert [round(bn_momentum(e, 3, 0.9, 0.999), 9) for e in (1, 2, 3)] == [0.9, 0.99, 0.999]
    assert bn_momentum(5, 3, 0.9, 0.999) == pytest.approx(0.999)     # past the plan: the end
    assert bn_momentum(1, 1, 0.9, 0.99) == pytest.approx(0.9)
    assert bn_momentum(2, 3, 0.0, 0.99) == 0.99
    steps = [bn_momentum(e, 40, 0.9, 0.99) for e in range(1, 41)]
    assert steps == sorted(steps) and len(set(steps)) == 40


def test_warmup_rises_linearly_then_follows_the_schedule():
    cosine = _train_cfg(schedule='cosine', lr=0.004, warmup_steps=100)
    assert learning_rate(0, cosine, 1000) == pytest.approx(0.004 / 100)
    assert learning_rate(49, cosine, 1000) == pytest.approx(
        0.5 * 0.004 * 0.5 * (1 + np.cos(np.pi * 49 / 1000)))
    assert learning_rate(100, cosine, 1000) == pytest.approx(
        0.004 * 0.5 * (1 + np.cos(np.pi * 0.1)))
    exponential = _train_cfg(warmup_steps=10, decay_steps=100, decay_rate=0.5)
    assert learning_rate(4, exponential) == pytest.approx(0.5e-3)
    assert learning_rate(150, exponential) == pytest.approx(0.5e-3)  # the seed's staircase
    default = _train_cfg()
    assert learning_rate(0, default) == 1e-3                        # no warm-up by default


@pytest.mark.parametrize('stride', [1, 2, 5, 7])
def test_frame_subsets_cover_every_frame_once_per_cycle(stride):
    size = 103
    for cycle in range(3):
        epochs = range(cycle * stride + 1, (cycle + 1) * stride + 1)
        offsets = [stride_offset(4, e, stride) for e in epochs]
        assert sorted(offsets) == list(range(stride))
        frames = np.concatenate([epoch_frames(size, stride, o) for o in offsets])
        assert sorted(frames) == list(range(size))                   # each frame exactly once
    steps = [epoch_steps(size, 8, stride, stride_offset(4, e, stride)) for e in range(1, 9)]
    assert run_steps(size, 8, stride, 4, 8) == sum(steps)
    assert epoch_steps(size, 8, 1, 0) == 12
    for epochs in (1, stride - 1, 2 * stride + 3):                # whole and partial cycles
        assert run_steps(size, 8, stride, 4, epochs) == sum(
            epoch_steps(size, 8, stride, stride_offset(4, e, stride))
            for e in range(1, epochs + 1))


def test_frame_subset_order_changes_between_cycles_and_seeds():
    first = [stride_offset(0, e, 10) for e in range(1, 11)]
    second = [stride_offset(0, e, 10) for e in range(11, 21)]
    other_seed = [stride_offset(1, e, 10) for e in range(1, 11)]
    assert first != second and first != other_seed
    assert first == [stride_offset(0, e, 10) for e in range(1, 11)]  # from (seed, epoch) alone


def test_time_budget_plans_whole_epochs_and_stops_before_an_epoch_that_does_not_fit():
    budget = TimeBudget(10)                                         # 600 s
    assert budget.active and not TimeBudget(0).active
    assert budget.epochs_that_fit(60, 100, 200) == 5                # 540 s left
    assert budget.epochs_that_fit(60, 100, 3) == 3                  # TRAIN.end_epoch caps
    assert budget.epochs_that_fit(590, 100, 200) == 1               # the plan: at least one
    assert budget.epochs_left(400, 200) == 1 and budget.epochs_left(401, 200) == 0
    assert budget.epochs_left(700, 10) == 0                         # over budget: none
    assert budget.left(150) == 450


def test_replanning_shrinks_at_once_and_grows_only_with_half_an_epoch_to_spare():
    budget = TimeBudget(10)                                         # 600 s
    # After epoch 7 of 8 at 540 s, epochs of 29 s: 60 s left, one more fits -> 8 stays.
    assert budget.replanned(8, 7, 540, 29, 100) == 8
    # Epochs that came out a little shorter: 2 fit exactly, 2.5 do not -> still 8, no flip.
    assert budget.replanned(8, 7, 546, 27, 100) == 8
    # It grows by what fits with half an epoch to spare (bounded by TRAIN.end_epoch): 80 s
    # left of epochs of 25 s -> 3 fit, 2 with 12.5 s to spare; 100 s left -> 3 with room.
    assert budget.replanned(8, 7, 520, 25, 100) == 9
    assert budget.replanned(8, 7, 500, 25, 100) == 10
    assert budget.replanned(8, 7, 500, 25, 9) == 9
    # Shrinking does not wait: 60 s left of epochs of 45 s -> one more, then stop.
    assert budget.replanned(10, 7, 540, 45, 100) == 8
    assert budget.replanned(10, 7, 590, 45, 100) == 7                # none fits: stop now


def test_fast_recipe_is_the_papers_network_on_a_faster_schedule():
    fast = load_configs([os.path.join(ROOT, 'configs', 'fast.yaml')])
    paper = load_configs([os.path.join(ROOT, 'configs', 'paper.yaml')])
    default = default_config()
    # The paper's model, trained faster and without dropout, which on both held-out sets of
    # doc/benchmark.md slowed the first tens of epochs and raised the error they level off at.
    assert {**fast.NETWORK, 'dropout': None} == {**paper.NETWORK, 'dropout': None}
    assert fast.NETWORK.dropout == 0 < paper.NETWORK.dropout
    assert fast.TRAIN.schedule == 'cosine' and fast.TRAIN.batchsize > default.TRAIN.batchsize
    # The BatchNorm momentum rises to the paper's from below: the first epochs' running
    # statistics follow the quickly moving weights (doc/benchmark.md).
    assert 0 < fast.TRAIN.bn_momentum_start < fast.NETWORK.bn_momentum
    # Mirroring is what brought the error it levels off at below the long default run's.
    assert fast.TRAIN.flip and not default.TRAIN.flip and not paper.TRAIN.flip


BUDGET_NET = """
NETWORK:
  linear_size: 64
TRAIN:
  end_epoch: %d
  time_budget: %g
  schedule: cosine
  warmup_steps: 20
  frame_stride: 2
  bn_momentum_start: 0.5
TEST:
  batchsize: 500
"""


@pytest.mark.slow
def test_budget_stops_cleanly_with_its_final_model(tmp_path, small_dataset):
    cfg = write_yaml(tmp_path / 'c.yaml', BUDGET_NET % (100000, 0.3))    # 18 s
    proc = run_cli('train.py', '--root', tmp_path, '--dataset', small_dataset, '--cfg', cfg)
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = only_run(tmp_path)
    log = proc.stdout + proc.stderr
    assert 'time budget 0.3 min' in log and 'planned' in log
    # The plan counts the time already spent: reading the data and the probe before the test.
    spent = float(re.search(r'time budget 0.3 min: ([\d.]+) s spent', log).group(1))
    test_seconds = float(re.search(r'the test ([\d.]+) s', log).group(1))
    assert spent >= test_seconds + 0.1
    finals = [f for f in os.listdir(run) if f.startswith('Model_epoch')]
    assert len(finals) == 1 and run_files.final_model_names(run) == finals
    last = int(finals[0][len('Model_epoch'):-len('.params')])
    assert 1 <= last < 100000
    assert [int(r[0]) for r in curves_without_seconds(run)[1:]] == list(range(1, last + 1))
    assert not os.path.exists(os.path.join(run, 'resume.npz'))
    test = run_cli('test.py', '--root', tmp_path, '--dataset', small_dataset, '--model',
                   os.path.join(run, finals[0]))
    assert test.returncode == 0, test.stderr[-2000:]


@pytest.mark.slow
def test_budgeted_run_killed_and_resumed_equals_the_uninterrupted_one(tmp_path, small_dataset):
    # A budget far larger than 5 epochs: the plan is TRAIN.end_epoch in both runs, so that
    # their numbers can be compared; the cosine schedule is laid over the plan.
    cfg = write_yaml(tmp_path / 'c.yaml', BUDGET_NET % (5, 600))
    ref = run_cli('train.py', '--root', tmp_path / 'ref', '--dataset', small_dataset, '--cfg', cfg)
    assert ref.returncode == 0, ref.stderr[-2000:]
    assert '5 epoch(s) planned' in ref.stdout + ref.stderr
    reference = curves_without_seconds(only_run(tmp_path / 'ref'))
    lrs = [float(r[2]) for r in reference[1:]]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < 0.1 * lrs[0]   # cosine, to its end

    root = tmp_path / 'killed'
    state = start_training_and_kill_after(2, root, '--dataset', small_dataset, '--cfg', cfg)
    assert state and state['planned_epochs'] == 5
    run = only_run(root)
    resumed = run_cli('train.py', '--resume', run, '--dataset', small_dataset)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert 'planned' not in resumed.stdout + resumed.stderr        # the plan is the run's own
    assert curves_without_seconds(run) == reference
    seconds = [float(l.split(',')[-1]) for l in open(os.path.join(run, 'curves.csv'))
               .read().splitlines()[1:]]
    assert seconds == sorted(seconds)                              # one clock across the kill


def _writecurves_without_seconds(folder, rows):
    os.makedirs(folder)
    lines = ['epoch,step,lr,loss,test_p1,test_p1_average,seconds']
    lines += ['%d,%d,0.001,0.5,%g,%g,%g' % (e, 10 * e, p1, p1, sec) for e, p1, sec in rows]
    with open(os.path.join(folder, 'curves.csv'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(folder)


def test_time_to_accuracy_table_and_figure(tmp_path):
    ref = [_writecurves_without_seconds(tmp_path / 'r1', [(1, 80, 60), (2, 60, 120), (3, 50, 180)]),
           _writecurves_without_seconds(tmp_path / 'r2', [(1, 82, 60), (2, 62, 120), (3, 52, 180)])]
    fast = [_writecurves_without_seconds(tmp_path / 'f1', [(1, 70, 20), (2, 50, 36), (3, 40, 50)]),
            _writecurves_without_seconds(tmp_path / 'f2', [(1, 75, 20), (2, 52, 30), (3, 45, 44)])]
    slow = [_writecurves_without_seconds(tmp_path / 's1', [(1, 90, 100), (2, 70, 200)])]
    proc = run_cli('tools/time_to_accuracy.py', '--reference', 'default', *ref,
                   '--group', 'fast', *fast, '--group', 'slow', *slow,
                   '--figure', tmp_path / 'tta.png', '--table', tmp_path / 'tta.md')
    assert proc.returncode == 0, proc.stderr
    table = open(tmp_path / 'tta.md').read()
    assert table == proc.stdout
    assert 'end at 51.00 mm (mean of 2) after 3.0 min' in table
    # fast reaches 51 mm at 36 s (epoch 2) and 44 s (epoch 3; 52 mm at epoch 2 is not enough)
    assert '| fast | 2 | 3 (3..3) |' in table
    assert '| 0.67 (0.60..0.73) | 0.222 (0.200..0.244) |' in table
    assert '| slow | 1 |' in table and 'not reached' in table
    assert os.path.getsize(tmp_path / 'tta.png') > 10000
    # the first 2 epochs of the reference stand for a shorter reference: 61 mm after 2 min
    proc = run_cli('tools/time_to_accuracy.py', '--reference', 'default', *ref,
                   '--reference-epochs', '2', '--group', 'slow', *slow)
    assert proc.returncode == 0, proc.stderr
    assert 'end at 61.00 mm (mean of 2) after 2.0 min' in proc.stdout
    assert '| default | 2 | 2 (2..2) |' in proc.stdout
    assert '| slow | 1 | 2 (2..2) | 3.33 (3.33..3.33) | 70.00 (70.00..70.00) | not reached |' \
        in proc.stdout
    proc = run_cli('tools/time_to_accuracy.py', '--reference', 'default', *ref,
                   '--reference-epochs', '4')
    assert proc.returncode == 2 and '--reference-epochs 4: expected 1 to 3' in proc.stderr
    _writecurves_without_seconds(tmp_path / 'bad', [(1, 80, 60)])
    with open(tmp_path / 'bad' / 'curves.csv', 'a') as f:
        f.write('2,20,0.001,0.5,nan,1,1\n')
    proc = run_cli('tools/time_to_accuracy.py', '--reference', 'x', tmp_path / 'bad')
    assert proc.returncode == 2 and 'curves.csv: line 3: expected 7 finite numbers' in proc.stderr


def test_a_checkpoint_of_an_earlier_version_resumes_when_the_new_keys_hold_their_defaults():
    from lib.core.settings import to_plain
    from lib.train.resume import same_config
    defaults = default_config()
    current = json.loads(json.dumps(to_plain(defaults)))
    saved = json.loads(json.dumps(current))
    for key in ('schedule', 'lr_floor', 'warmup_steps', 'frame_stride', 'time_budget'):
        del saved['TRAIN'][key]                                # written before these existed
    assert same_config(saved, current, defaults)
    assert not same_config(saved, current, None)               # strict without the defaults
    changed = json.loads(json.dumps(current))
    changed['TRAIN']['time_budget'] = 30.0
    assert not same_config(saved, changed, defaults)           # a new key set: not the same run
    extra = json.loads(json.dumps(saved))
    extra['TRAIN']['retired_key'] = 1
    assert not same_config(extra, current, defaults)
    other = json.loads(json.dumps(saved))
    other['TRAIN']['lr'] = 0.5
    assert not same_config(other, current, defaults)
