"""From a network and pose arrays to errors, tables and figures; imports lib.core, lib.data,
lib.codec and lib.model.

    prediction   the forward pass in inference mode, batched, pixels in, mm out
    evaluation   predictions and per-frame errors of dataset arrays (test-time noise, flip)
    metrics      Protocol #1, #2, #3, MPJVE, 3DPCK and AUC, batched; summaries by group
    diagnostics  mean depth of each joint and length of each bone, true against predicted
    report       results per action, subject and camera; text and Markdown tables; file names
    runstats     several runs: mean and spread, two groups' difference with an interval
    figures      sample frames, per-action chart, training curves, lifted frames
    animation    a lifted track as a GIF or an .mp4, drawn with Pillow
    pages        self-contained pages to turn and play 3D poses in a browser (three.js, vendored
                 in web/ with its licence); the viewer's and the pages' own JavaScript
    sample_page  a test run's worst, median and best frames of each action as a page
"""
from lib.eval.evaluation import evaluate, ground_truth_poses
from lib.eval.metrics import protocol_errors, velocity_errors
from lib.eval.prediction import predict_poses
from lib.eval.report import summarize

__all__ = ['evaluate', 'ground_truth_poses', 'protocol_errors', 'velocity_errors',
           'predict_poses', 'summarize']
