"""Lifting 2D keypoints of real detectors to 3D; imports every sub-package but lib.cli and
lib.train (a trained run is read through lib.model.run_files).

    detections      Detections, what a detector's file holds once read, and what every reader
                    shares: frame order, the checks of keypoint values and layouts
    detector_files  readers of COCO, OpenPose, AlphaPose, mmpose, MediaPipe and plain arrays,
                    recognised by their content
    options         the options of lifting: defaults, ranges and help in one place
    tracking        frames in their natural order, people assigned to tracks
    missing_joints  one person's track made ready for the network: missing joints filled over
                    time, frames with too many left out with their reason
    plausibility    2D detections and lifted poses no human makes, left out with their reason
    smoothing       smoothing lifted poses over time, and the jitter it removes
    pipeline        a keypoint file to 3D poses: lift_file and its LiftResult
    bvh_export      a lifted track as a BVH animation for 3D tools
    lift_page       a lifted file as a page: every person in one scene, the 2D beside
    lifter          Lifter: a trained run loaded once, lifting arrays and scoring them
"""
from lib.infer.detector_files import read_keypoint_file
from lib.infer.lifter import Lifter, score

__all__ = ['read_keypoint_file', 'Lifter', 'score']
