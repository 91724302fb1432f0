"""The 3D pose baseline as a library: one sub-package a concern, imports going one way.

    core    errors, atomic files, Human3.6M's joints and actions, progress bars
    data    every Human3.6M source (annotation folders, VideoPose3D, CDF, HDF5, the original's
            files, detections), cameras, the dataset arrays, the cache, the synthetic generator
    codec   the network's representation: inputs, targets, statistics, rescaling, mirroring
    model   the residual MLP, its folded form for prediction, seed checkpoints, ONNX export
    eval    prediction, metrics, reports, several-run statistics, figures
    train   the training loop, device augmentation, the run folder and resuming
    infer   keypoint files of real detectors, layouts, tracking, the Lifter API
    cli     what the commands share: options, logging, threads, Ctrl-C

A module imports only from its own sub-package and the ones listed above it
(tests/test_layout.py fails otherwise); nothing in lib imports config.py or a command: the
commands hand the config in.

The public API, importable from here: Lifter and score (lib.infer.lifter), load_dataset and
load_subjects (lib.data), PoseError (lib.core). They are imported on first use, so that
`import lib.cli.interrupt` and `lib.cli.threads` run before MXNet loads.
"""
import importlib

_PUBLIC = {'Lifter': 'lib.infer.lifter', 'score': 'lib.infer.lifter',
           'load_dataset': 'lib.data.dataset', 'load_subjects': 'lib.data.dataset',
           'PoseError': 'lib.core.errors'}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError('module lib has no attribute %r' % name)
