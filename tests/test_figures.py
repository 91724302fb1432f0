"""Figures, curves and the Markdown table: written, valid, and drawn from the right data."""
import csv
import os

import matplotlib.image
import numpy as np

from lib.core import h36m
from lib.eval.figures import action_figure, pick_frames, sample_figure, save_figure
from lib.eval.report import format_markdown
from tests.conftest import run_cli


def assert_png(path, min_width=400, min_height=250):
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    image = matplotlib.image.imread(path)
    assert image.shape[0] >= min_height and image.shape[1] >= min_width
    assert image[..., :3].std() > 0.05            # not a blank canvas


def _points_3d(ax):
    pts = []
    for line in ax.lines:
        x, y, z = line.get_data_3d()
        pts += list(zip(x, y, z))
    return np.unique(np.round(np.array(pts), 6), axis=0)


def test_sample_figure_draws_the_given_poses(tmp_path):
    rng = np.random.default_rng(0)
    pose2d = rng.uniform(300, 700, size=(2, 17, 2))
    gt = rng.normal(0, 300, size=(2, 17, 3))
    gt[:, 0] = 0
    pred = gt + 30
    fig = sample_figure(pose2d, gt, pred, ['a', 'b'])
    axes = fig.axes
    assert len(axes) == 6
    # Ground truth of the second frame, drawn as (x, z, -y): every joint, nothing else.
    expect = np.unique(np.round(np.stack([gt[1, :, 0], gt[1, :, 2], -gt[1, :, 1]], axis=1), 6), axis=0)
    np.testing.assert_allclose(_points_3d(axes[4]), expect)
    shifted = pred[1]
    expect_pred = np.unique(np.round(np.stack([shifted[:, 0], shifted[:, 2], -shifted[:, 1]], 1), 6), axis=0)
    np.testing.assert_allclose(_points_3d(axes[5]), expect_pred)
    # The 2D input: 16 joints (no Neck/Nose), left and right limbs in different colours.
    pts2d = np.unique(np.concatenate([np.stack(l.get_data(), 1) for l in axes[3].lines]), axis=0)
    np.testing.assert_allclose(pts2d, np.unique(pose2d[1, [j for j in range(17) if j != 9]], axis=0))
    colours = {l.get_color() for l in axes[0].lines}
    assert len(colours) == 3
    path = str(tmp_path / 's.png')
    save_figure(fig, path)
    assert_png(path)
    assert os.listdir(tmp_path) == ['s.png']


def test_frames_are_spread_over_actions():
    ids = np.zeros((15 * 10, 5), dtype=np.int64)
    ids[:, 1] = np.repeat(h36m.ACTION_IDS, 10)
    pick = pick_frames(ids, 5)
    assert len(set(ids[pick, 1])) == 5
    assert ids[pick[0], 1] == 2 and ids[pick[-1], 1] == 16


def _fake_results():
    names = [h36m.ACTIONS[a] for a in h36m.ACTION_IDS]
    p1 = {n: 40.0 + i for i, n in enumerate(names)}
    p1.update({'Average': 47.0, 'All frames': 46.5})
    p2 = {n: v * 0.7 for n, v in p1.items()}
    frames = {n: 100 for n in names}
    frames['All frames'] = 1500
    others = {k: {n: v * 0.9 for n, v in p1.items()} for k in ('protocol3', 'mpjve', 'pck150', 'auc')}
    return dict(others, protocol1=p1, protocol2=p2, frames=frames)


def test_action_chart(tmp_path):
    fig = action_figure(_fake_results())
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 30 and max(heights) == 54.0
    assert any('47.0' in t.get_text() for t in ax.get_legend().get_texts())
    save_figure(fig, str(tmp_path / 'a.png'))
    assert_png(str(tmp_path / 'a.png'))


def test_markdown_table_layout():
    text = format_markdown(_fake_results(), 'Model')
    header = [l for l in text.splitlines() if l.startswith('| Measure')][0]
    cells = [c.strip() for c in header.strip('|').split('|')]
    assert cells[1:16] == [short for _, short in h36m.PAPER_ACTIONS] and cells[16] == 'Avg'
    rows = [l for l in text.splitlines() if l.startswith('| #')]
    assert len(rows) == 3 and '| 47.0 |' in rows[0]
    # The paper's ground-truth row and the difference follow, and say which setting they are.
    paper = [l for l in text.splitlines() if l.startswith('| paper #1')][0]
    assert '| 37.7 | 44.4 |' in paper and '| 45.5 |' in paper
    diff = [l for l in text.splitlines() if l.startswith('| this run - paper #1')][0]
    assert '| 2.3 |' in diff                                   # 40.0 - 37.7 for Directions
    assert 'ground-truth 2D input' in text
    assert '| paper' not in format_markdown(_fake_results(), 'M', 'cpn_ft_h36m_dbb')
    assert 'paper #2' in format_markdown(_fake_results(), 'M', 'sh_ft')


def test_training_writes_curves_every_epoch(trained_run):
    rows = list(csv.DictReader(open(os.path.join(trained_run['run'], 'curves.csv'))))
    assert [int(r['epoch']) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert float(rows[-1]['loss']) < float(rows[0]['loss'])
    assert_png(os.path.join(trained_run['run'], 'curves.png'))


def test_test_py_figures_and_markdown(trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    proc = run_cli('test.py', '--root', trained_run['root'], '--dataset', trained_run['data'],
                   '--model', model, '--figures', 3)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_png(model[:-7] + '_samples.png', min_height=900)
    assert_png(model[:-7] + '_actions.png')
    text = open(os.path.join(trained_run['run'], 'Model_epoch6_results.md')).read()
    assert text.count('|') > 40 and 'WalkT.' in text and 'Avg' in text
    # Output redirected to a file: no progress bar escapes in the log.
    assert '\r' not in proc.stdout and '\r' not in proc.stderr
