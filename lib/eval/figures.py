"""Figures: sample frames (2D input, true 3D, predicted 3D), Protocol #1/#2 per action, training
curves and lifted frames of infer.py (the 2D in the detector's pixels, on its image when given,
beside the 3D). Matplotlib with the Agg backend; every file is written atomically. (The
animation of a track is lib.eval.animation.)"""


import matplotlib
import matplotlib.ticker

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lib.core import h36m  # noqa: E402
from lib.core.files import atomic_path  # noqa: E402
from lib.data.arrays import ACTION, id_names  # noqa: E402

LEFT_COLOUR, RIGHT_COLOUR, CENTRE_COLOUR = '#d62728', '#1f77b4', '#444444'


def _bone_colour(child):
    if child in h36m.LEFT_JOINTS:
        return LEFT_COLOUR
    if child in h36m.RIGHT_JOINTS:
        return RIGHT_COLOUR
    return CENTRE_COLOUR


def _bones(joints):
    """(child, parent) pairs among the given joint ids (17-joint numbering)."""
    return [(j, h36m.PARENTS[j]) for j in joints if h36m.PARENTS[j] >= 0 and h36m.PARENTS[j] in joints]


def draw_2d(ax, pose2d, title, image=None):
    """2D skeleton in pixels, image axes (v down). pose2d (17, 2); Neck/Nose is not an input,
    so the head is joined to the thorax. With `image` (H, W[, 3]) the skeleton is drawn on it,
    in the image's own pixel coordinates."""
    if image is not None:
        ax.imshow(image)
    shown = list(h36m.INPUT_JOINTS)
    for child, parent in _bones(shown) + [(10, 8)]:
        ax.plot(pose2d[[parent, child], 0], pose2d[[parent, child], 1], '-o', ms=2, lw=2,
                color=_bone_colour(child))
    if image is not None:
        ax.set_xlim(0, image.shape[1])
        ax.set_ylim(image.shape[0], 0)
    else:
        # A square window around the body, so that every frame is drawn at its own scale.
        centre = (pose2d[shown].max(axis=0) + pose2d[shown].min(axis=0)) / 2
        half = 0.6 * np.ptp(pose2d[shown], axis=0).max() + 1.0
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] + half, centre[1] - half)     # image v grows downwards
    ax.set_aspect('equal')
    ax.set_xlabel('u (px)')
    ax.set_ylabel('v (px)')
    ax.set_title(title, fontsize=9)


def draw_3d(ax, pose3d, title, radius=900.0):
    """3D skeleton (17, 3) camera-frame mm, drawn with up as up: plot axes (x, z, -y)."""
    for child, parent in _bones(list(range(h36m.NUM_JOINTS))):
        seg = pose3d[[parent, child]]
        ax.plot(seg[:, 0], seg[:, 2], -seg[:, 1], '-o', ms=2, lw=2, color=_bone_colour(child))
    centre = pose3d[0]
    ax.set_xlim(centre[0] - radius, centre[0] + radius)
    ax.set_ylim(centre[2] - radius, centre[2] + radius)
    ax.set_zlim(-centre[1] - radius, -centre[1] + radius)
    ax.set_box_aspect((1, 1, 1))
    for axis, c in ((ax.xaxis, centre[0]), (ax.yaxis, centre[2]), (ax.zaxis, -centre[1])):
        axis.set_ticks(np.round(c / 500) * 500 + np.array([-500.0, 0.0, 500.0]))
    ax.set_xlabel('x (mm)', fontsize=7)
    ax.set_ylabel('z (mm)', fontsize=7)
    ax.set_zlabel('-y (mm)', fontsize=7)
    ax.tick_params(labelsize=6)
    ax.view_init(elev=15, azim=-70)
    ax.set_title(title, fontsize=9)


def sample_figure(pose2d, gt3d, pred3d, labels):
    """One row per frame: 2D input, ground-truth 3D, predicted 3D.

    pose2d (K, 17, 2) px; gt3d, pred3d (K, 17, 3) root-relative mm; labels K strings.
    Returns the Figure (left limbs red, right limbs blue)."""
    k = len(pose2d)
    fig = plt.figure(figsize=(12, 4 * k))
    for i in range(k):
        draw_2d(fig.add_subplot(k, 3, 3 * i + 1), pose2d[i], '%s\n2D input' % labels[i])
        draw_3d(fig.add_subplot(k, 3, 3 * i + 2, projection='3d'), gt3d[i], 'ground truth 3D')
        err = np.linalg.norm(pred3d[i] - gt3d[i], axis=-1).mean()   # the 17-joint convention
        draw_3d(fig.add_subplot(k, 3, 3 * i + 3, projection='3d'), pred3d[i],
                'prediction (MPJPE %.1f mm)' % err)
    fig.tight_layout()
    return fig


def pick_frames(ids, count, seed=0):
    """Indices of `count` frames spread over the actions present (one random frame each)."""
    rng = np.random.default_rng(seed)
    actions = list(np.unique(ids[:, ACTION]))
    chosen = [actions[int(i)] for i in np.linspace(0, len(actions) - 1, min(count, len(actions)))]
    return np.array([rng.choice(np.flatnonzero(ids[:, ACTION] == a)) for a in chosen], dtype=np.int64)


def frame_label(row, names=None):
    """'S9 Walking 1, camera 2, frame 10' of an ids row (N, 5); names as lib.data.arrays.id_names
    gives them (default Human3.6M's)."""
    s, a, u, c, f = (int(v) for v in row)
    subjects, actions = names or id_names({})
    return '%s %s %d, camera %d, frame %d' % (subjects.get(s, 'S%d' % s),
                                              actions.get(a, 'action %d' % a), u, c, f)


def action_figure(results):
    """Grouped bars of Protocol #1 and #2 per action (Human3.6M's in the paper's order, a
    motion-capture folder's classes in theirs), Average marked."""
    names = [n for n in results['protocol1'] if n not in ('Average', 'All frames')]
    order = {n: i for i, n in enumerate(h36m.PAPER_ACTION_ORDER)}
    names.sort(key=lambda n: order.get(n, len(order)))
    x = np.arange(len(names))
    p1 = [results['protocol1'][n] for n in names]
    p2 = [results['protocol2'][n] for n in names]
    fig, ax = plt.subplots(figsize=(11, 4.2))
    ax.bar(x - 0.2, p1, 0.4, label='Protocol #1 (MPJPE)', color='#1f77b4')
    ax.bar(x + 0.2, p2, 0.4, label='Protocol #2 (PA-MPJPE)', color='#ff7f0e')
    for key, colour, name in (('protocol1', '#1f77b4', '#1'), ('protocol2', '#ff7f0e', '#2')):
        value = results[key]['Average']
        ax.axhline(value, color=colour, ls='--', lw=1,
                   label='Average of actions, Protocol %s: %.1f mm' % (name, value))
    ax.set_ylim(0, 1.3 * max(p1 + p2))
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=35, ha='right')
    ax.set_ylabel('error (mm)')
    ax.set_title('Error per action (%d test frames)' % results['frames']['All frames'])
    ax.legend(loc='upper left', ncol=2, fontsize=8)
    fig.tight_layout()
    return fig


def curves_figure(rows):
    """Training curves from the rows of curves.csv (dicts): loss, Protocol #1, learning rate."""
    epoch = [r['epoch'] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(epoch, [r['loss'] for r in rows], '-o', ms=3)
    axes[0].set_yscale('log')
    axes[0].set_title('training loss (MSE, z-scored)')
    axes[1].plot(epoch, [r['test_p1'] for r in rows], '-o', ms=3, label='all frames')
    axes[1].plot(epoch, [r['test_p1_average'] for r in rows], '-o', ms=3, label='average of actions')
    axes[1].set_title('test Protocol #1 (mm)')
    axes[1].legend()
    axes[2].plot(epoch, [r['lr'] for r in rows], '-o', ms=3)
    axes[2].set_title('learning rate (end of epoch)')
    for ax in axes:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel('epoch')
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def time_to_accuracy_figure(groups, reference_error=None):
    """Test Protocol #1 against wall time: `groups` {label: [rows of one run's curves.csv]},
    one colour a label and one line a run; the reference error as a dashed line."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for k, (label, runs) in enumerate(groups.items()):
        colour = 'C%d' % k
        for i, rows in enumerate(runs):
            ax.plot([r['seconds'] / 60 for r in rows], [r['test_p1'] for r in rows], '-o',
                    ms=2.5, color=colour, alpha=0.8, label=label if i == 0 else None)
    if reference_error is not None:
        ax.axhline(reference_error, color='0.4', ls='--', lw=1,
                   label='reference %.1f mm' % reference_error)
        # Cut at 1.6 times the reference: the first epochs' errors would flatten the rest.
        lowest = min(r['test_p1'] for runs in groups.values() for rows in runs for r in rows)
        ax.set_ylim(0.95 * lowest, 1.6 * reference_error)
    ax.set_xlabel('wall time (minutes, from the start of train.py)')
    ax.set_ylabel('test Protocol #1 (mm)')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def save_figure(fig, path, dpi=100):
    """Write the figure as PNG under a temporary name, rename, and close it."""
    try:
        with atomic_path(path, '.tmp.png') as tmp:
            fig.savefig(tmp, dpi=dpi)
    finally:
        plt.close(fig)


def lift_figure(pose2d, pred3d, label, image=None):
    """One frame of infer.py: the 2D input (17, 2) in the detector's pixels (on `image` when
    given) beside the predicted 3D (17, 3) mm."""
    fig = plt.figure(figsize=(8, 4))
    draw_2d(fig.add_subplot(1, 2, 1), pose2d, '%s\n2D input' % label, image)
    draw_3d(fig.add_subplot(1, 2, 2, projection='3d'), pred3d, 'predicted 3D')
    fig.tight_layout()
    return fig
