"""Time to accuracy: test error against wall time of finished runs, grouped by recipe.

    .venv/bin/python tools/time_to_accuracy.py --reference default RUN1 RUN2 RUN3 \
        --group fast RUN4 RUN5 RUN6 --group paper RUN7 RUN8 [--figure tta.png] [--table tta.md]

Each RUN is a run folder of train.py (its curves.csv: test Protocol #1 after every epoch, and
the seconds since the command started). The reference error is the mean over the reference
group's runs of their last test Protocol #1; for every run, the first time it reached that
error; per group, the mean and the spread (min..max over runs) of the final error and of that
time, and the ratio of that time to the reference runs' mean wall time. Prints the table
(Markdown); writes it and the figure when asked.

--reference-epochs N reads only the first N epochs of the reference runs: one long run of a
recipe whose schedule does not depend on its length (the default's step decay, unlike a cosine
laid over the run) then stands for shorter references too, with its error and time at epoch N.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib.cli.interrupt  # noqa: E402,F401  (first of all: Ctrl-C while loading is one line)
import numpy as np  # noqa: E402

from lib.cli.options import parser_for, run  # noqa: E402
from lib.core.errors import PoseError  # noqa: E402
from lib.core.files import write_text  # noqa: E402
from lib.eval.figures import save_figure, time_to_accuracy_figure  # noqa: E402
from lib.eval.report import read_curves_csv  # noqa: E402


def time_to_reach(rows, error):
    """Seconds at the end of the first epoch whose test Protocol #1 is at most `error`, or None."""
    return next((r['seconds'] for r in rows if r['test_p1'] <= error), None)


def first_epochs(rows, epochs, folder):
    """The rows of epochs 1..`epochs` of a run's curves; an error when the run has fewer."""
    if epochs < 1 or rows[-1]['epoch'] < epochs:
        raise PoseError('--reference-epochs %d: expected 1 to %d, the epochs in %s'
                        % (epochs, rows[-1]['epoch'], folder))
    return [r for r in rows if r['epoch'] <= epochs]


def spread(values, fmt):
    """'mean (min..max)' of numbers, each written with fmt."""
    return (fmt + ' (' + fmt + '..' + fmt + ')') % (np.mean(values), min(values), max(values))


def summarize(groups, reference):
    """Markdown table rows of time_to_accuracy for `groups` {label: [curves rows]}; `reference`
    the label of the reference group."""
    ref_runs = groups[reference]
    ref_error = float(np.mean([rows[-1]['test_p1'] for rows in ref_runs]))
    ref_time = float(np.mean([rows[-1]['seconds'] for rows in ref_runs]))
    lines = ['reference: the %s runs end at %.2f mm (mean of %d) after %.1f min (mean)'
             % (reference, ref_error, len(ref_runs), ref_time / 60), '',
             '| recipe | runs | epochs | wall time (min) | final Protocol #1 (mm) | time to %.2f mm '
             '(min) | ratio to the reference time |' % ref_error,
             '|---|---:|---:|---:|---:|---:|---:|']
    for label, runs in groups.items():
        reached = [time_to_reach(rows, ref_error) for rows in runs]
        got = [t for t in reached if t is not None]
        when = spread([t / 60 for t in got], '%.2f') if got else 'not reached'
        if got and len(got) < len(runs):
            when += ' (%d of %d runs)' % (len(got), len(runs))
        ratio = spread([t / ref_time for t in got], '%.3f') if len(got) == len(runs) else '-'
        lines.append('| %s | %d | %s | %s | %s | %s | %s |' % (
            label, len(runs), spread([rows[-1]['epoch'] for rows in runs], '%.0f'),
            spread([rows[-1]['seconds'] / 60 for rows in runs], '%.2f'),
            spread([rows[-1]['test_p1'] for rows in runs], '%.2f'), when, ratio))
    return lines, ref_error


def main(argv=None):
    parser = parser_for(__doc__)
    parser.add_argument('--reference', nargs='+', required=True, metavar=('LABEL', 'RUN'),
                        help='the reference recipe: a label, then its run folders')
    parser.add_argument('--group', nargs='+', action='append', default=[],
                        metavar=('LABEL', 'RUN'), help='another recipe: a label, then its runs')
    parser.add_argument('--reference-epochs', type=int, metavar='N',
                        help='use only the first N epochs of the reference runs')
    parser.add_argument('--figure', help='write the figure (PNG) here')
    parser.add_argument('--table', help='write the table (Markdown) here')
    args = parser.parse_args(argv)
    groups = {}
    for spec in [args.reference] + args.group:
        if len(spec) < 2:
            raise PoseError('--reference/--group %s: expected a label and at least one run folder'
                            % ' '.join(spec))
        label, folders = spec[0], spec[1:]
        if label in groups:
            raise PoseError('--group %s: label given twice' % label)
        groups[label] = [read_curves_csv(os.path.join(f, 'curves.csv')) for f in folders]
        for folder, rows in zip(folders, groups[label]):
            if not rows:
                raise PoseError('%s: curves.csv holds no epoch' % folder)
    if args.reference_epochs is not None:
        groups[args.reference[0]] = [first_epochs(rows, args.reference_epochs, folder) for
                                     rows, folder in zip(groups[args.reference[0]],
                                                         args.reference[1:])]
    lines, ref_error = summarize(groups, args.reference[0])
    text = '\n'.join(lines) + '\n'
    print(text, end='')
    if args.table:
        write_text(text, args.table)
    if args.figure:
        save_figure(time_to_accuracy_figure(groups, ref_error), args.figure)
    return 0


if __name__ == '__main__':
    run(main)
