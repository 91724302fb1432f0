"""A test run's sample frames as a page (test.py --html; lib.eval.pages writes it): for each
action its worst, median and best test frame by Protocol #1, the prediction over the truth in
3D, the 2D input, and each joint's error under the mouse."""
import numpy as np

from lib.data.arrays import ACTION, id_names
from lib.eval.evaluation import ground_truth_poses
from lib.eval.figures import frame_label
from lib.eval.pages import encode, skeleton_info, write_page

# The page's int16 steps: 0.5 mm and a quarter of a pixel.
MM_SCALE, PX_SCALE = 2.0, 4.0
# Camera frame (x right, y down, z forward) -> the viewer's Y up, the camera looking down -Z.
TO_VIEWER = np.array([1.0, -1.0, -1.0])


def chosen_frames(errors, ids, actions):
    """[(action name, 'worst' | 'median' | 'best', row)] of the test arrays' rows: per action,
    its frames of the largest, the median and the smallest Protocol #1 (errors (N,) mm)."""
    out = []
    for action in np.unique(ids[:, ACTION]):
        rows = np.flatnonzero(ids[:, ACTION] == action)
        order = rows[np.argsort(errors[rows], kind='stable')]
        for kind, row in (('worst', order[-1]), ('median', order[len(order) // 2]),
                          ('best', order[0])):
            out.append((actions.get(int(action), str(action)), kind, int(row)))
    return out


def page_data(data, errors, pred):
    """The JSON of the test page (lib/eval/web/test.js) for the test arrays `data` (every frame
    evaluated), the per-frame errors of lib.eval.evaluation.evaluate and predictions (N, 17, 3)."""
    names = id_names(data)
    samples = []
    for action, kind, row in chosen_frames(errors['p1'], data['ids'], names[1]):
        truth = ground_truth_poses(data['pose3d'][row:row + 1])[0]
        samples.append({'action': action, 'kind': kind, 'p1': float(errors['p1'][row]),
                        'label': frame_label(data['ids'][row], names),
                        'truth': encode(truth * TO_VIEWER, MM_SCALE),
                        'pred': encode(np.asarray(pred[row]) * TO_VIEWER, MM_SCALE),
                        'pose2d': encode(data['pose2d'][row], PX_SCALE),
                        'errors': [float(e) for e in errors['p1_joints'][row]]})
    return {'info': skeleton_info(), 'scales': {'mm': MM_SCALE, 'px': PX_SCALE},
            'samples': samples}


def write_sample_page(path, title, data, errors, pred):
    """Write the page of one model's test run."""
    content = page_data(data, errors, pred)
    subtitle = ('%d sample frames: each action\'s worst, median and best by Protocol #1; the '
                'prediction in colour over the truth in grey; a joint\'s error under the mouse; '
                'drag to turn' % len(content['samples']))
    write_page(path, 'test', title, subtitle, content)
