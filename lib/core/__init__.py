"""What every other sub-package builds on; imports nothing else of lib.

    devices   the GPUs asked for, checked against those MXNet sees
    errors    PoseError: a problem with the user's input, reported in one line
    files     atomic writes, small text and JSON files
    h36m      Human3.6M's joints, skeleton, actions, subjects and cameras; the network's
              16 inputs and 16 outputs
    layouts   2D keypoint layouts of other tools (COCO, OpenPose, Halpe, MediaPipe, ...),
              their mapping to the 17 Human3.6M joints by name, and the check that 17
              unnamed keypoints are in the order a file claims
    resources the files that ship with the project (the Human3.6M cameras, the shipped
              model), found from the repository's root
    settings  config files: YAML over a config of every key, keys, types and ranges checked
    progress  progress bars on a terminal only
    vectors   small vector arithmetic on whole arrays (unit vectors)
"""
from lib.core.errors import PoseError, error_reason
from lib.core.files import atomic_path, read_json, write_json, write_text

__all__ = ['PoseError', 'error_reason', 'atomic_path', 'read_json', 'write_json', 'write_text']
