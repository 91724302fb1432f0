"""test.py as the field reports: several runs at once with their spread and a group difference,
TEST.every, the new measures per subject and camera, and the paper's rows as doc/fidelity.md
cites them."""
import json
import os
import re

import numpy as np
import pytest

from lib.core import h36m
from lib.eval.report import MEASURES, PAPER_ROWS
from lib.eval.runstats import welch_difference
from tests.conftest import ROOT, run_cli, write_yaml


def checkpoints(trained_run, epochs):
    return [os.path.join(trained_run['run'], 'Checkpoint_epoch%d.params' % e) for e in epochs]


def test_three_runs_mean_and_std_equal_their_json_files(tmp_path, trained_run):
    group_a = checkpoints(trained_run, (4, 5, 6))
    group_b = checkpoints(trained_run, (1, 2))
    summary = tmp_path / 'summary.json'
    proc = run_cli('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
                   '--model', *group_a, '--vs', *group_b, '--summary', summary)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # The test data was read once for the five models.
    assert len(re.findall(r'(loaded|read) \d+ frames of subjects \[9, 11\]', proc.stdout)) == 1
    files = [json.load(open(m[:-7] + '_results.json')) for m in group_a + group_b]
    result = json.load(open(summary))
    for key, *_ in MEASURES:
        for row in ('Directions', 'Average', 'All frames'):
            values = [f[key][row] for f in files]
            cell = result['aggregate'][key][row]
            assert cell['mean'] == pytest.approx(np.mean(values))
            assert cell['std'] == pytest.approx(np.std(values, ddof=1))
            a = [f[key][row] for f in files[:3]]
            assert result['group_A'][key][row]['mean'] == pytest.approx(np.mean(a))
    diff = result['difference_A_minus_B']['protocol1']['Average']
    a = [f['protocol1']['Average'] for f in files[:3]]
    b = [f['protocol1']['Average'] for f in files[3:]]
    assert diff['difference'] == pytest.approx(np.mean(a) - np.mean(b))
    assert diff['ci'][0] < diff['difference'] < diff['ci'][1]
    assert 'mean +- std over 5 runs' in proc.stdout and 'Group A - group B' in proc.stdout
    assert os.path.isfile(str(summary)[:-5] + '.md')


def test_welch_interval_by_hand():
    a, b = [66.2, 65.1, 67.3, 66.0], [68.1, 67.0, 68.8]
    d = welch_difference(a, b)
    from scipy import stats
    t = stats.ttest_ind(a, b, equal_var=False)
    assert d['p'] == pytest.approx(t.pvalue)
    assert d['difference'] == pytest.approx(np.mean(a) - np.mean(b))
    assert welch_difference([1.0], [2.0, 3.0])['ci'] is None


def test_models_that_disagree_on_the_test_data_are_refused(tmp_path, trained_run):
    every = write_yaml(tmp_path / 'e.yaml', 'TEST:\n  every: 3\n')
    import shutil
    other = tmp_path / 'other'
    shutil.copytree(trained_run['run'], other)
    text = open(other / 'hyperParams.yaml').read().replace('every: 1', 'every: 2')
    open(other / 'hyperParams.yaml', 'w').write(text)
    os.remove(other / 'checksums.json')
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   checkpoints(trained_run, (6,))[0], other / 'Model_epoch6.params')
    assert proc.returncode == 2 and 'TEST.every is 2, but 1' in proc.stderr
    # --cfg applies to every model alike.
    proc = run_cli('test.py', '--root', tmp_path, '--dataset', trained_run['data'], '--model',
                   checkpoints(trained_run, (6,))[0], '--cfg', every, '--summary',
                   tmp_path / 's.json')
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_every_nth_frame_is_stated_everywhere(tmp_path, trained_run):
    every = write_yaml(tmp_path / 'every.yaml', 'TEST:\n  every: 4\n')
    model = checkpoints(trained_run, (3,))[0]
    proc = run_cli('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
                   '--model', model, '--cfg', every)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = [f for f in os.listdir(trained_run['run'])
             if f.startswith('Checkpoint_epoch3_every4_cfg-') and f.endswith('_results.json')]
    assert len(names) == 1
    result = json.load(open(os.path.join(trained_run['run'], names[0])))
    # 24 frames per recording: frames 0, 4, ..., 20 are 6 of them.
    assert result['frames']['All frames'] == 2 * 15 * 2 * 4 * 6
    assert result['every'] == 4 and result['test_options']['every'] == 4
    md = open(os.path.join(trained_run['run'], names[0].replace('.json', '.md'))).read()
    assert 'every 4-th frame of each recording' in md
    assert 'every 4-th frame' in proc.stdout
    # Per subject and per camera, every measure.
    assert set(result['per_subject']['protocol3']) == {'S9', 'S11', 'All frames'}
    assert set(result['per_camera']['mpjve']) == {'1', '2', '3', '4', 'All frames'}
    assert 0 < result['pck150']['Average'] <= 100 and 0 < result['auc']['Average'] <= 1


def test_paper_rows_are_the_ones_doc_fidelity_cites():
    text = open(os.path.join(ROOT, 'doc', 'fidelity.md')).read()
    for setting, rows in PAPER_ROWS.items():
        for key in ('protocol1', 'protocol2'):
            if key not in rows:
                continue
            marker = '<!-- paper %s %s -->' % (setting, key)
            assert marker in text, marker
            line = text.split(marker)[1].strip().splitlines()[0]
            cited = [float(c) for c in line.strip('|').split('|')[1:]]
            assert tuple(cited) == rows[key], (setting, key)
    assert [name for name, _ in h36m.PAPER_ACTIONS][:3] == ['Directions', 'Discussion', 'Eating']
