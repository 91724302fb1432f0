"""Lifting 2D keypoints of real detectors to 3D; imports every sub-package but lib.cli.

    keypoint_values what the readers share: Detections, frame order, value and layout checks
    keypoint_files  readers of COCO, OpenPose, AlphaPose, mmpose, MediaPipe and plain arrays,
                    recognised by their content
    tracking        frames in their natural order, people assigned to tracks
    keypoints       one person's track made ready for the network (missing joints filled)
    smoothing       smoothing lifted poses over time, and the jitter it removes
    pipeline        a keypoint file to 3D poses: lift_file and its LiftResult
    lifter          Lifter: a trained run loaded once, lifting arrays and scoring them
"""
from lib.infer.keypoint_files import read_keypoint_file
from lib.infer.lifter import Lifter, score

__all__ = ['read_keypoint_file', 'Lifter', 'score']
