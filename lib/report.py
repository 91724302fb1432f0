"""Results of an evaluation: the per-action table (text, dict, JSON), per joint and per axis."""
import hashlib
import json

from config import to_plain
from lib import h36m
from lib.metrics import by_action, frame_counts

CONVENTION = ('Protocol #1 (MPJPE) is averaged over 17 joints with the root counted as zero '
              'error (16-joint sum / 17), as in the paper and the seed; Protocol #2 (PA-MPJPE) '
              'over all 17 joints after a rigid alignment with scale, per frame. "Average" is the '
              'mean of the per-action means; "All frames" the mean over every test frame.')


def summarize(errors, ids):
    """Per-frame errors (lib.metrics.protocol_errors) and ids (N, 5) -> results dict."""
    actions = ids[:, 1]
    p1 = by_action(errors['p1'], actions)
    p2 = by_action(errors['p2'], actions)
    j1 = errors['p1_joints'].mean(axis=0)
    j2 = errors['p2_joints'].mean(axis=0)
    axes = errors['p1_axes'].mean(axis=0)
    return {
        'protocol1': {k: float(v) for k, v in p1.items()},
        'protocol2': {k: float(v) for k, v in p2.items()},
        'frames': frame_counts(actions),
        'per_joint': {'protocol1': dict(zip(h36m.JOINT_NAMES, map(float, j1))),
                      'protocol2': dict(zip(h36m.JOINT_NAMES, map(float, j2)))},
        'per_axis': dict(zip(('x', 'y', 'z'), map(float, axes))),
        'convention': CONVENTION,
    }


def format_table(results):
    """The results dict as text lines: per action, per joint, per axis."""
    lines = ['Errors in mm. ' + CONVENTION, '',
             '%-14s %8s %10s %10s' % ('Action', 'Frames', 'Protocol1', 'Protocol2')]
    for name in list(results['protocol1']):
        frames = results['frames'].get(name, '')
        lines.append('%-14s %8s %10.1f %10.1f' % (name, frames, results['protocol1'][name],
                                                  results['protocol2'][name]))
    lines += ['', '%-14s %10s %10s' % ('Joint', 'Protocol1', 'Protocol2')]
    for name in h36m.JOINT_NAMES:
        lines.append('%-14s %10.1f %10.1f' % (name, results['per_joint']['protocol1'][name],
                                              results['per_joint']['protocol2'][name]))
    axes = results['per_axis']
    lines += ['', 'Protocol #1 per axis (mean absolute error): x %.1f  y %.1f  z %.1f'
              % (axes['x'], axes['y'], axes['z'])]
    return lines


def variant_tag(test_cfg, overridden=None):
    """'' for a plain evaluation; '_sigma5' or '_flip' (or both) for the test-time options, and
    '_cfg-<8 hex digits of the resolved config>' when --cfg changed the run's config, so that a
    variant's results never overwrite the plain ones."""
    tag = '_sigma%g' % test_cfg.sigma if test_cfg.sigma > 0 else ''
    tag += '_flip' if test_cfg.flip else ''
    if overridden is not None:
        text = json.dumps(to_plain(overridden), sort_keys=True)
        tag += '_cfg-' + hashlib.sha256(text.encode()).hexdigest()[:8]
    return tag


def results_stem(model_path, tag=''):
    """<model file without .params><tag>: the start of every result file's name."""
    stem = model_path[:-len('.params')] if model_path.endswith('.params') else model_path
    return stem + tag


def format_markdown(results, title):
    """The per-action table as Markdown in the layout of the paper's Table 1 (actions in the
    paper's order, Avg last), one row per protocol."""
    head = ('| Protocol | ' + ' | '.join(short for _, short in h36m.PAPER_ACTIONS)
            + ' | Avg | All frames |')
    rule = '|:---|' + '---:|' * (len(h36m.PAPER_ACTIONS) + 2)
    rows = []
    for key, label in (('protocol1', '#1 MPJPE'), ('protocol2', '#2 PA-MPJPE')):
        cells = ['%.1f' % results[key][n] if n in results[key] else '-'
                 for n in h36m.PAPER_ACTION_ORDER]
        rows.append('| %s | %s | %.1f | %.1f |' % (label, ' | '.join(cells), results[key]['Average'],
                                                   results[key]['All frames']))
    return '\n'.join(['# %s' % title, '', head, rule] + rows +
                      ['', 'Errors in mm over %d test frames. %s'
                       % (results['frames']['All frames'], CONVENTION), ''])


CURVE_FIELDS = ('epoch', 'step', 'lr', 'loss', 'test_p1', 'test_p1_average', 'seconds')


def format_curves_csv(rows):
    """Rows of training curves (dicts with CURVE_FIELDS) as CSV text, one row per epoch."""
    lines = [','.join(CURVE_FIELDS)]
    for r in rows:
        lines.append(','.join('%d' % r[k] if k in ('epoch', 'step') else '%.6g' % r[k]
                              for k in CURVE_FIELDS))
    return '\n'.join(lines) + '\n'
