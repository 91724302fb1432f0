"""Results of an evaluation: every measure per action, subject and camera (dict, text, Markdown with
the paper's rows), per joint and per axis."""
import hashlib
import json

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.settings import to_plain
from lib.data.arrays import ACTION, CAMERA, SUBJECT, id_names
from lib.eval.diagnostics import format_diagnostics
from lib.eval.metrics import by_action, by_group, frame_counts

CONVENTION = ('Protocol #1 (MPJPE) is averaged over 17 joints with the root counted as zero '
              'error (16-joint sum / 17), as in the paper and the seed; Protocol #2 (PA-MPJPE) '
              'over all 17 joints after a rigid alignment with scale, per frame; Protocol #3 '
              '(N-MPJPE) after scaling only, 17-joint convention; MPJVE is the error of the '
              'displacement from the previous frame of the same recording and camera, in mm '
              'per frame; 3DPCK is the share of the 17 joints (the root counted correct) within '
              '150 mm, in %, and AUC its mean over thresholds 0, 5, ..., 150 mm. "Average" is '
              'the mean of the per-action means; "All frames" the mean over every test frame.')

# (results key, per-frame error key, short label, unit, factor applied to the per-frame values)
MEASURES = (('protocol1', 'p1', '#1 MPJPE', 'mm', 1.0), ('protocol2', 'p2', '#2 PA-MPJPE', 'mm', 1.0),
            ('protocol3', 'p3', '#3 N-MPJPE', 'mm', 1.0), ('mpjve', 'mpjve', 'MPJVE', 'mm/frame', 1.0),
            ('pck150', 'pck150', '3DPCK@150', '%', 100.0), ('auc', 'auc', 'AUC', '0-1', 1.0))

# Martinez et al., ICCV 2017, per action in the paper's column order (h36m.PAPER_ACTIONS), then
# the average: Table 1 (Protocol #1) and Table 3 (Protocol #2). doc/fidelity.md cites the same.
PAPER_ROWS = {
    'gt': {'label': 'ground-truth 2D input (Table 1, "Ours (GT detections)")',
           'protocol1': (37.7, 44.4, 40.3, 42.1, 48.2, 54.9, 44.4, 42.1, 54.6, 58.0, 45.1, 46.4,
                         47.6, 36.4, 40.4, 45.5)},
    'sh_ft': {'label': 'fine-tuned Stacked Hourglass detections (Table 1, "Ours (SH detections FT)"; '
                       'Table 3)',
              'protocol1': (51.8, 56.2, 58.1, 59.0, 69.5, 78.4, 55.2, 58.1, 74.0, 94.6, 62.3, 59.1,
                            65.1, 49.5, 52.4, 62.9),
              'protocol2': (39.5, 43.2, 46.4, 47.0, 51.0, 56.0, 41.4, 40.6, 56.5, 69.4, 49.2, 45.0,
                            49.5, 38.0, 43.1, 47.7)},
}


def paper_setting(test_2d):
    """The paper's setting that matches DATASET.test_2d: 'gt', 'sh_ft' (a name with 'sh' and
    'ft', like sh_ft or sh_ft_h36m), or None (no comparable published row)."""
    name = test_2d.lower()
    if name == 'gt':
        return 'gt'
    if 'sh' in name.split('_') and 'ft' in name.split('_'):
        return 'sh_ft'
    return None


def summarize(errors, ids, every=1, names=None):
    """Per-frame errors (lib.eval.evaluation.evaluate) and ids (N, 5) -> results dict: every measure
    per action (with Average and All frames), per subject and per camera; frame counts; per
    joint; per axis. names: ({subject id: name}, {action id: name}) (lib.data.arrays.id_names;
    default Human3.6M's)."""
    subjects, actions = names or id_names({})
    out = {}
    for key, err, _, _, factor in MEASURES:
        out[key] = {k: float(v) * factor
                    for k, v in by_action(errors[err], ids[:, ACTION], actions).items()}
    out['frames'] = frame_counts(ids[:, ACTION], actions)
    out['every'] = int(every)
    for field, column, label in (('per_subject', SUBJECT, lambda g: subjects.get(g, 'S%d' % g)),
                                 ('per_camera', CAMERA, str)):
        out[field] = {key: {(label(g) if g != 'All frames' else g): float(v) * factor
                            for g, v in by_group(errors[err], ids[:, column]).items()}
                      for key, err, _, _, factor in MEASURES}
    out['per_joint'] = {'protocol1': dict(zip(h36m.JOINT_NAMES,
                                              map(float, errors['p1_joints'].mean(axis=0)))),
                        'protocol2': dict(zip(h36m.JOINT_NAMES,
                                              map(float, errors['p2_joints'].mean(axis=0))))}
    out['per_axis'] = dict(zip(('x', 'y', 'z'), map(float, errors['p1_axes'].mean(axis=0))))
    out['convention'] = CONVENTION
    return out


def _every_note(results):
    every = results.get('every', 1)
    return 'every frame' if every == 1 else 'every %d-th frame of each recording' % every


def format_table(results):
    """The results dict as text lines: every measure per action, per joint, per axis."""
    width = max([14] + [len(name) for name in results['protocol1']])   # long class names
    head = '%-*s %8s' % (width, 'Action', 'Frames') + ''.join(' %11s' % m[2] for m in MEASURES)
    lines = ['Errors in mm (MPJVE mm/frame, 3DPCK %%, AUC 0-1) over %s. %s'
             % (_every_note(results), CONVENTION), '', head]
    for name in list(results['protocol1']):
        cells = ''.join(' %11.1f' % results[m[0]][name] if m[0] != 'auc'
                        else ' %11.3f' % results[m[0]][name] for m in MEASURES)
        lines.append('%-*s %8s' % (width, name, results['frames'].get(name, '')) + cells)
    lines += ['', '%-14s %10s %10s' % ('Joint', 'Protocol1', 'Protocol2')]
    for name in h36m.JOINT_NAMES:
        lines.append('%-14s %10.1f %10.1f' % (name, results['per_joint']['protocol1'][name],
                                              results['per_joint']['protocol2'][name]))
    axes = results['per_axis']
    lines += ['', 'Protocol #1 per axis (mean absolute error): x %.1f  y %.1f  z %.1f'
              % (axes['x'], axes['y'], axes['z'])]
    if results.get('diagnostics'):
        lines += [''] + format_diagnostics(results['diagnostics'])
    if results.get('left_out'):
        lines += ['', 'Left out (no 2D input): ' + left_out_text(results['left_out'])]
    if results.get('trained_on'):
        lines = ['WARNING: ' + trained_on_text(results['trained_on']) + '.', ''] + lines
    return lines


def trained_on(dataset_cfg):
    """The test subjects of config section DATASET that are also trained on, sorted (none for a
    motion-capture folder, whose test performers are never trained on)."""
    if dataset_cfg.source == h36m.MOCAP:
        return []
    return sorted(set(dataset_cfg.test_subjects) & set(dataset_cfg.train_subjects))


def trained_on_text(subjects):
    """The warning for test subjects that the model was also trained on."""
    return ('subjects %s were also in the training set, so these numbers are (partly) errors on '
            'training data, not a test' % ', '.join('S%d' % s for s in subjects))


def left_out_text(left_out):
    return '; '.join('S%d %s%s (%d frames)' % (
        r['subject'], r['recording'], ' camera %d' % r['camera'] if 'camera' in r else '',
        r['frames']) for r in left_out)


def variant_tag(test_cfg, overridden=None):
    """'' for a plain evaluation; '_sigma5', '_flip' and '_every10' for the test-time options
    (TEST.sigma, TEST.flip, TEST.every), and '_cfg-<8 hex digits of the resolved config>' when
    --cfg changed the run's config, so that a variant's results never overwrite the plain
    ones."""
    tag = '_sigma%g' % test_cfg.sigma if test_cfg.sigma > 0 else ''
    tag += '_flip' if test_cfg.flip else ''
    tag += '_every%d' % test_cfg.every if test_cfg.every > 1 else ''
    if overridden is not None:
        text = json.dumps(to_plain(overridden), sort_keys=True)
        tag += '_cfg-' + hashlib.sha256(text.encode()).hexdigest()[:8]
    return tag


def results_stem(model_path, tag=''):
    """<model file without .params><tag>: the start of every result file's name."""
    stem = model_path[:-len('.params')] if model_path.endswith('.params') else model_path
    return stem + tag


def _row(label, values, digits=1):
    return '| %s | %s |' % (label, ' | '.join(
        '-' if v is None or not np.isfinite(v) else '%.*f' % (digits, v) for v in values))


def is_h36m(results):
    """True when the results' actions are Human3.6M's (not a motion-capture folder's classes)."""
    return set(results['protocol1']) <= set(h36m.PAPER_ACTION_ORDER) | {'Average', 'All frames'}


def format_markdown(results, title, test_2d='gt'):
    """The per-action table as Markdown in the layout of the paper's Table 1 (actions in the
    paper's order, Avg, All frames), one row per measure, then the paper's rows for the
    matching setting (paper_setting) with this run's difference. Results of other motion
    (a motion-capture folder's classes) have their classes as columns and no paper rows."""
    if is_h36m(results):
        columns = [(name, short) for name, short in h36m.PAPER_ACTIONS]
    else:
        columns = [(name, name) for name in results['protocol1']
                   if name not in ('Average', 'All frames')]
    head = '| Measure | ' + ' | '.join(short for _, short in columns) + ' | Avg | All frames |'
    rule = '|:---|' + '---:|' * (len(columns) + 2)
    names = [name for name, _ in columns] + ['Average', 'All frames']
    rows = [_row(label, [results[key].get(n) for n in names], 3 if key == 'auc' else 1)
            for key, _, label, _, _ in MEASURES]
    paper_rows, notes = _paper_comparison(results, names, test_2d)
    if results.get('left_out'):
        notes.append('Left out, for want of 2D input: %s.' % left_out_text(results['left_out']))
    if results.get('trained_on'):
        notes.insert(0, '**Training-set error**: %s.' % trained_on_text(results['trained_on']))
    diagnostics = (['', '## Depth and proportions', ''] +
                   format_diagnostics(results['diagnostics'], markdown=True)
                   if results.get('diagnostics') else [])
    return '\n'.join(['# %s' % title, '', head, rule] + rows + paper_rows +
                      ['', 'Errors in mm (MPJVE in mm/frame, 3DPCK in %%, AUC from 0 to 1) over '
                       '%d test frames (%s). %s' % (results['frames']['All frames'],
                                                    _every_note(results), CONVENTION)]
                      + [''] + notes + diagnostics + [''])


def _paper_comparison(results, names, test_2d):
    """(table rows, notes): the paper's rows of the setting matching the 2D input `test_2d`
    and this run's difference, for Human3.6M results with such a setting; a note otherwise."""
    setting = paper_setting(test_2d) if is_h36m(results) else None
    if not setting:
        return [], [('No published row of the paper matches the 2D input `%s` (it reports '
                     'ground truth and Stacked Hourglass detections).' % test_2d)
                    if is_h36m(results) else
                    ('Columns are the motion classes of the test performers; "Avg" is the mean '
                     'over them. The paper reports no numbers for this data.')]
    paper, rows = PAPER_ROWS[setting], []
    for key, label in (('protocol1', '#1'), ('protocol2', '#2')):
        if key not in paper:
            continue
        values = list(paper[key]) + [None]
        ours = [results[key].get(n) for n in names]
        rows.append(_row('paper %s' % label, values))
        rows.append(_row('this run - paper %s' % label,
                         [None if o is None or p is None else o - p
                          for o, p in zip(ours, values)]))
    return rows, ['Paper rows: Martinez et al. (ICCV 2017) with %s, compared with this run\'s '
                  '2D input `%s`. The paper\'s Avg is its mean over the 15 actions.'
                  % (paper['label'], test_2d)]


CURVE_FIELDS = ('epoch', 'step', 'lr', 'loss', 'test_p1', 'test_p1_average', 'seconds')


def read_curves_csv(path):
    """The rows of a run's curves.csv as dicts of CURVE_FIELDS (numbers); a PoseError naming
    the file and line for anything else."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise PoseError('%s: cannot read training curves (%s)' % (path, e.strerror))
    if not lines or lines[0].split(',') != list(CURVE_FIELDS):
        raise PoseError('%s: line 1: expected the header %s' % (path, ','.join(CURVE_FIELDS)))
    rows = []
    for number, line in enumerate(lines[1:], 2):
        values = line.split(',')
        try:
            numbers = [float(v) for v in values]
        except ValueError:
            numbers = []
        if len(numbers) != len(CURVE_FIELDS) or not all(np.isfinite(numbers)):
            raise PoseError('%s: line %d: expected %d finite numbers, got %r'
                            % (path, number, len(CURVE_FIELDS), line[:80]))
        rows.append(dict(zip(CURVE_FIELDS, numbers)))
    return rows


def format_curves_csv(rows):
    """Rows of training curves (dicts with CURVE_FIELDS) as CSV text, one row per epoch."""
    lines = [','.join(CURVE_FIELDS)]
    for r in rows:
        lines.append(','.join('%d' % r[k] if k in ('epoch', 'step') else '%.6g' % r[k]
                              for k in CURVE_FIELDS))
    return '\n'.join(lines) + '\n'
