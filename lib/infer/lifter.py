"""A trained run as a Python object: load it once, lift 2D keypoints to 3D, score predictions.

    from lib.infer.lifter import Lifter
    lifter = Lifter.load()          # the shipped model; or Lifter.load('output/model/RUN/...params')
    poses = lifter.lift(keypoints, layout='coco')        # (N, 17, 3) mm, pelvis at 0
    result = lifter.lift_file('alphapose-results.json')  # tracks, frames, filled joints, ...

test.py, infer.py and export.py load a trained run through this class (tools/bench.py builds
its own variants of the network, to time them against each other).
"""
import os

import mxnet as mx
import numpy as np

from lib.codec import check_stats, input_space, load_stats
from lib.core import h36m, layouts
from lib.core.devices import gpu_contexts
from lib.core.errors import PoseError
from lib.core.resources import SHIPPED_MODEL
from lib.data.arrays import check_arrays, every_nth, id_names
from lib.eval.diagnostics import pose_diagnostics
from lib.eval.evaluation import evaluate, ground_truth_poses
from lib.eval.metrics import protocol_errors, velocity_errors
from lib.eval.prediction import predict_poses
from lib.eval.report import summarize
from lib.infer.options import LiftOptions, array_options
from lib.infer.pipeline import lift_file, lift_track, rescales
from lib.model.network import build_network, fold_batchnorm
from lib.model import run_files



def device_context(device):
    """'cpu', 'gpu', 'gpu:1', an int GPU id (-1 for the CPU) or an mx.Context -> mx.Context; a
    GPU that MXNet does not see (or a CPU build of MXNet) is a PoseError."""
    if isinstance(device, mx.Context):
        return device
    gpu = None
    if isinstance(device, int) and not isinstance(device, bool):
        if device < 0:
            return mx.cpu()
        gpu = device
    text = str(device).strip().lower()
    if text == 'cpu':
        return mx.cpu()
    if gpu is None and text.startswith('gpu'):
        rest = text[3:].lstrip(':')
        gpu = int(rest or 0) if rest == '' or rest.isdigit() else None
    if gpu is not None:
        return gpu_contexts([gpu], 'device %r' % (device,), "with device='cpu'")[0]
    raise PoseError('device %r: expected cpu, gpu, gpu:N or an mx.Context' % (device,))


class Lifter:
    """A trained network with the config and normalisation statistics of its run.

    cfg: the run's config (EasyDict); stats: dict of mean2d, std2d (32,), mean3d, std3d (48,);
    params: path of the .params file (ours or a seed checkpoint); context: an mx.Context.
    trained: the LiftingNetwork as trained; net: the same folded for prediction
    (lib.model.fold_batchnorm), which predict, lift and evaluate use.
    """

    def __init__(self, cfg, stats, params, context=None):
        self.cfg, self.stats, self.params = cfg, stats, params
        self.space = input_space(cfg.NETWORK)
        self.context = context or mx.cpu()
        self.trained = build_network(cfg.NETWORK)
        run_files.load_parameters(self.trained, params, [self.context])
        # Predictions come from the network with its BatchNorm and max-norm folded into the
        # Linear layers: the same numbers (tests/test_model.py), about twice as fast.
        self.net = fold_batchnorm(self.trained, self.context)
        if cfg.NETWORK.hybrid:
            self.net.hybridize(static_alloc=True, static_shape=True)

    @classmethod
    def load(cls, model_path=None, device='cpu', cfg_files=(), stats=None, defaults=None):
        """The run that holds `model_path` (its hyperParams.yaml and meanstd.npz; default the
        shipped model, SHIPPED_MODEL), with the YAML files `cfg_files` applied over its config. A seed checkpoint without a meanstd.npz
        beside it takes `stats` (a dict as above or the path of a meanstd.npz), else the
        <model>_meanstd.npz that test.py writes when it recomputes them. `defaults`
        (config.default_config(), as the commands pass) fill keys that a run saved by an
        earlier version lacks, and are the config of a seed checkpoint."""
        model_path = SHIPPED_MODEL if model_path is None else model_path
        if isinstance(cfg_files, (str, bytes, os.PathLike)):
            raise PoseError('cfg_files: expected a list of YAML paths, got one path %r; pass [%r]'
                            % (cfg_files, cfg_files))
        if os.path.isdir(str(model_path)):
            raise PoseError('%s: a folder; give the .params file of a run (e.g. %s)'
                            % (model_path, os.path.join(str(model_path), 'Model_epoch200.params')))
        context = device_context(device)
        cfg, run_stats = run_files.load_run(model_path, list(cfg_files), defaults)
        if stats is None and run_stats is None:
            stats = run_files.seed_stats_path(model_path)
            if not os.path.isfile(stats):
                raise PoseError('%s: a seed checkpoint has no statistics beside it; run test.py '
                                'on it once (it recomputes them from the training subjects and '
                                'writes %s) or pass them' % (model_path, stats))
        if isinstance(stats, (str, os.PathLike)):
            stats = load_stats(stats)
        elif stats is not None:
            stats = check_stats(stats, 'stats')
        stats = stats if stats is not None else run_stats
        return cls(cfg, stats, model_path, context)

    def predict(self, pose2d, centre=None, flip=False):
        """2D poses (N, 17, 2) pixels in Human3.6M order -> 3D (N, 17, 3) mm float32, camera
        frame, relative to the pelvis (at 0). flip: average with the mirrored input's prediction
        (mirrored about u = cx, centre (N, 2) the principal points)."""
        pose2d = np.asarray(pose2d, dtype=np.float32)
        if pose2d.ndim != 3 or pose2d.shape[1:] != (h36m.NUM_JOINTS, 2):
            raise PoseError('pose2d: expected shape (N, %d, 2), got %s'
                            % (h36m.NUM_JOINTS, pose2d.shape))
        if not np.all(np.isfinite(pose2d)):
            raise PoseError('pose2d: NaN or infinity among the inputs')
        if flip and self.space == 'pixel':
            if centre is None:
                raise PoseError('centre: flip mirrors about each frame\'s principal point; pass '
                                'centre, (N, 2) pixels')
            centre = np.asarray(centre, dtype=np.float32)
            if centre.shape != (len(pose2d), 2) or not np.all(np.isfinite(centre)):
                raise PoseError('centre: expected (%d, 2) finite pixels, got shape %s'
                                % (len(pose2d), centre.shape))
        return predict_poses(self.net, pose2d, self.stats, self.context, self.cfg.TEST.batchsize,
                             centre, flip, self.space)

    def lift(self, points, layout='h36m', **options):
        """Keypoints of one person over time, (N, J, 2) or (N, J, 3) with a confidence, in one of
        lib.core.layouts.LAYOUTS (or a list of its keypoint names) -> 3D (N, 17, 3) mm, pelvis
        at 0.

        Joints the layout lacks are derived, joints under min_confidence or at (0, 0) are
        filled over time (lib.infer.missing_joints.prepare_track; a frame with more than max_missing
        input joints missing is left out and comes back as NaN); rescale ('auto': for every
        layout but h36m) moves each frame into the training set's pixel scale. The options and
        their defaults are lib.infer.options' (min_confidence, max_missing, rescale)."""
        options = array_options(options)
        if isinstance(layout, (tuple, list)):
            layout = layouts.layout_from_names(list(layout), 'layout')
        track, pose3d = lift_track(self, layouts.to_h36m(points, layout, options.min_confidence),
                                   options.max_missing, rescales(self.space, options.rescale,
                                                                 layout))
        out = np.full((len(track.pose2d), h36m.NUM_JOINTS, 3), np.nan, np.float32)
        out[track.kept] = pose3d
        return out

    def lift_file(self, path, **options):
        """A keypoint file of a real detector lifted as infer.py lifts it -> LiftResult
        (lib.infer.pipeline.lift_file). The keyword options and their defaults are those of
        lib.infer.options: layout, image_size, min_confidence, max_missing, person, rescale,
        smooth, gate, max_gap."""
        return lift_file(self, path, LiftOptions(**options))

    def evaluate(self, data, test_cfg=None):
        """Every TEST.every-th frame of dataset arrays `data` (lib.data.arrays) once, with the TEST
        options of the run's config (or `test_cfg`). Returns (results dict of
        lib.eval.report.summarize with the 'diagnostics' of lib.eval.diagnostics, per-frame
        errors of lib.eval.evaluation.evaluate, predictions (M, 17, 3) mm), the last two for the
        rows of lib.data.arrays.every_nth(data, every)."""
        test_cfg = test_cfg or self.cfg.TEST
        check_arrays(data, 'data')
        data = every_nth(data, test_cfg.every)
        errors, pred = evaluate(self.net, data, self.stats, self.context, test_cfg, self.space)
        results = summarize(errors, data['ids'], test_cfg.every, id_names(data))
        results['diagnostics'] = pose_diagnostics(pred, ground_truth_poses(data['pose3d']))
        return results, errors, pred


def score(pred3d, pose3d, ids):
    """Predictions (N, 17, 3) mm (root-relative) against camera-frame ground truth (N, 17, 3) mm
    with ids (N, 5) (lib.data.arrays) -> the results dict of lib.eval.report.summarize."""
    pred3d, pose3d, ids = np.asarray(pred3d), np.asarray(pose3d), np.asarray(ids)
    shapes = {'pred3d': (pred3d, 3), 'pose3d': (pose3d, 3)}
    for name, (value, dims) in shapes.items():
        if value.ndim != 3 or value.shape[1:] != (h36m.NUM_JOINTS, dims):
            raise PoseError('%s: expected shape (N, %d, 3), got %s'
                            % (name, h36m.NUM_JOINTS, value.shape))
    if ids.ndim != 2 or ids.shape[1] != 5:
        raise PoseError('ids: expected shape (N, 5) (subject, action, subaction, camera, frame), '
                        'got %s' % (ids.shape,))
    if not len(pred3d) == len(pose3d) == len(ids) or not len(ids):
        raise PoseError('pred3d, pose3d, ids: expected the same number of frames, at least one; '
                        'got %d, %d and %d' % (len(pred3d), len(pose3d), len(ids)))
    gt = ground_truth_poses(pose3d)
    errors = protocol_errors(pred3d, gt)
    errors['mpjve'] = velocity_errors(pred3d, gt, ids)
    results = summarize(errors, ids)
    results['diagnostics'] = pose_diagnostics(pred3d, gt)
    return results
