"""Several runs evaluated on the same test data: the mean and spread of every measure, and the
difference between two groups of runs with a confidence interval.

Why Welch's t over runs: two recipes are compared to learn whether one trains better, and what
varies between runs of one recipe is the training (initialisation, batch order, dropout),
while the test frames are the same for every run. So the runs are the independent samples;
bootstrapping test recordings would measure how the test set was drawn, not how much a recipe's
result moves from seed to seed, and would call a 1 mm gap between two single runs significant
when the next seed can move it by as much. Welch's form does not assume the two recipes spread
alike. With a few runs per group the interval is wide: that is the honest answer.
"""
import math

import numpy as np
from scipy import stats as scipy_stats

from lib.eval.report import MEASURES


def aggregate(results):
    """Results dicts of several runs (lib.eval.report.summarize) -> {measure: {row: {'mean', 'std',
    'values'}}} over the rows (actions, Average, All frames) every run has; std is the sample
    standard deviation (ddof 1), 0 for a single run."""
    out = {}
    for key, *_ in MEASURES:
        rows = [r for r in results[0][key] if all(r in res[key] for res in results)]
        out[key] = {}
        for row in rows:
            values = np.array([res[key][row] for res in results], dtype=np.float64)
            out[key][row] = {'mean': float(values.mean()),
                             'std': float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                             'values': values.tolist()}
    return out


def welch_difference(a, b, level=0.95):
    """Mean of `a` minus mean of `b` (lists of per-run values) with Welch's t confidence
    interval and two-sided p-value; None for the interval when a group has fewer than 2 runs."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return {'difference': diff, 'ci': None, 'p': None, 'dof': None, 'runs': [len(a), len(b)],
                'method': 'Welch t over runs (needs 2 runs or more per group)'}
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return {'difference': diff, 'ci': [diff, diff], 'p': 0.0 if diff else 1.0, 'dof': None,
                'runs': [len(a), len(b)], 'method': 'Welch t over runs'}
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = scipy_stats.t.ppf(0.5 + level / 2, dof) * se
    p = 2 * scipy_stats.t.sf(abs(diff) / se, dof)
    return {'difference': diff, 'ci': [diff - half, diff + half], 'p': float(p),
            'dof': float(dof), 'runs': [len(a), len(b)], 'level': level,
            'method': 'Welch t over runs'}


def compare_groups(group_a, group_b, rows=('Average', 'All frames')):
    """{measure: {row: welch_difference}} for two lists of results dicts."""
    return {key: {row: welch_difference([r[key][row] for r in group_a],
                                        [r[key][row] for r in group_b])
                  for row in rows}
            for key, *_ in MEASURES}


def format_aggregate(agg, runs, title):
    """Text lines: every measure per action as mean +- std over the runs."""
    head = '%-14s' % 'Action' + ''.join(' %17s' % m[2] for m in MEASURES)
    lines = ['%s: mean +- std over %d runs' % (title, runs), head]
    for row in agg['protocol1']:
        cells = ''
        for key, *_ in MEASURES:
            cell = agg[key].get(row)
            fmt = ' %8.3f +- %5.3f' if key == 'auc' else ' %9.1f +- %4.1f'
            cells += fmt % (cell['mean'], cell['std']) if cell else ' %17s' % '-'
        lines.append('%-14s' % row + cells)
    return lines


def format_comparison(diff):
    lines = ['Group A - group B (%s; 95%% interval):' % diff['protocol1']['Average']['method']]
    for key, _, label, unit, _ in MEASURES:
        for row, d in diff[key].items():
            ci = ('[%.2f, %.2f], p = %.3f' % (d['ci'][0], d['ci'][1], d['p'])
                  if d['ci'] is not None else 'no interval with %s runs' % d['runs'])
            lines.append('  %-12s %-10s %+8.2f %-8s %s' % (label, row, d['difference'], unit, ci))
    return lines


def format_markdown(agg, runs, models, diff=None, groups=None):
    """The aggregate (and the comparison) as Markdown: per action, mean +- std of each
    measure."""
    rows = list(agg['protocol1'])
    out = ['# %d runs evaluated on the same test data' % runs, '',
           '| Action | ' + ' | '.join(m[2] for m in MEASURES) + ' |',
           '|:---|' + '---:|' * len(MEASURES)]
    for row in rows:
        out.append('| %s | %s |' % (row, ' | '.join(
            '%.3f ± %.3f' % (agg[k][row]['mean'], agg[k][row]['std']) if k == 'auc'
            else '%.1f ± %.1f' % (agg[k][row]['mean'], agg[k][row]['std'])
            for k, *_ in MEASURES)))
    out += ['', 'Runs: ' + ', '.join('`%s`' % m for m in models), '']
    if diff:
        out += ['## Group A - group B', '', 'A: ' + ', '.join('`%s`' % m for m in groups[0]),
                '', 'B: ' + ', '.join('`%s`' % m for m in groups[1]), '',
                '| Measure | Row | A - B | 95% interval | p |', '|:---|:---|---:|---:|---:|']
        for key, _, label, _, _ in MEASURES:
            for row, d in diff[key].items():
                ci = '[%.2f, %.2f]' % tuple(d['ci']) if d['ci'] is not None else '-'
                p = '%.3f' % d['p'] if d['p'] is not None else '-'
                out.append('| %s | %s | %+.2f | %s | %s |' % (label, row, d['difference'], ci, p))
        out += ['', 'Interval: Welch\'s t over runs (lib/eval/runstats.py says why).', '']
    return '\n'.join(out)
