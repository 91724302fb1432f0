"""The files that ship with the project, found from one place: the repository's root, above
lib/. Nothing else in lib works out where the repository lies."""
import os

# The repository: the folder that holds lib/ (this file is lib/core/resources.py).
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The real Human3.6M camera parameters (VideoPose3D's layout of them).
DEFAULT_CAMERAS = os.path.join(REPOSITORY, 'data', 'h36m_cameras.json')
# The model that ships with the project (models/mocap_camera_free/README.md, its card): what
# Lifter.load, infer.py and export.py use when no model is named.
SHIPPED_MODEL = os.path.join(REPOSITORY, 'models', 'mocap_camera_free', 'model.params')
