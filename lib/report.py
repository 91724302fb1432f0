"""Results of an evaluation: the per-action table (text, dict, JSON), per joint and per axis."""
import json
import os


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


def write_json(results, path):
    """Write results as JSON under a temporary name, then rename."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(results, f, indent=2)
    os.replace(tmp, path)


def results_path(model_path):
    """<model file without .params>_results.json"""
    stem = model_path[:-len('.params')] if model_path.endswith('.params') else model_path
    return stem + '_results.json'
