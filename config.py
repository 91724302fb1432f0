"""Hyperparameters: an easydict in sections, overridable from a YAML file.

`default_config()` builds the defaults: the paper's network and schedule with the seed's values
where the seed and the original code differ (doc/conventions.md, doc/fidelity.md). Edit them
here, or pass YAML files of the keys to change: `load_configs(paths)` applies them over the
defaults (lib.core.settings checks every key, type and range; unknown keys are errors that name
the key). `dump_config` writes the resolved config back to YAML; every run saves one as
hyperParams.yaml, which test.py, infer.py and --resume read back. Nothing here is parsed at
import time.
"""
from easydict import EasyDict as edict

from lib.core import settings
from lib.core.settings import dump_config, to_plain  # noqa: F401  (the commands' one import)


def default_config():
    """The defaults, a fresh EasyDict each call."""
    return edict(NETWORK=network_defaults(), TRAIN=train_defaults(),
                 DATASET=dataset_defaults(), TEST=test_defaults())


def network_defaults():
    """Section NETWORK: the residual MLP of Martinez et al. (2017)."""
    cfg = edict()
    cfg.NETWORK = edict()
    cfg.NETWORK.linear_size = 1024       # width of every hidden Linear layer
    cfg.NETWORK.nResBlock = 2            # residual blocks, each two Linear-BN-ReLU-Dropout
    cfg.NETWORK.dropout = 0.5            # drop rate (Gluon's convention; TF code: keep_prob 0.5)
    cfg.NETWORK.bn_momentum = 0.9        # BatchNorm running-average momentum (Gluon default, seed; TF code 0.99)
    cfg.NETWORK.bn_epsilon = 1e-5        # BatchNorm epsilon (Gluon default, seed; TF code 1e-3)
    cfg.NETWORK.init = 'msraprelu'       # weight init: 'msraprelu' (seed) or 'kaiming_truncnormal' (TF code, biases too)
    cfg.NETWORK.max_norm = False         # scale each weight matrix to norm <= 1 in the forward pass (TF code: True)
    cfg.NETWORK.hybrid = True            # hybridize the network (static graph) for speed
    cfg.NETWORK.input_space = 'pixel'    # 2D input: 'pixel' (the camera's pixels, the paper's) or 'camera_free' (each pose with its pelvis at 0, scaled to a 100-px joint spread: any camera; lib/codec.py)
    return cfg.NETWORK


def train_defaults():
    """Section TRAIN: the optimiser, its schedule and the epochs."""
    cfg = edict()
    cfg.TRAIN = edict()
    cfg.TRAIN.batchsize = 64             # samples per device per step (seed: per GPU)
    cfg.TRAIN.optimizer = 'adam'         # only Adam, as in the paper and the seed
    cfg.TRAIN.lr = 0.001                 # initial learning rate
    cfg.TRAIN.schedule = 'exponential'   # 'exponential' (decay_* below) or 'cosine' over the whole run
    cfg.TRAIN.decay_rate = 0.96          # exponential: learning-rate decay factor ...
    cfg.TRAIN.decay_steps = 100000       # ... applied every this many steps
    cfg.TRAIN.decay_staircase = True     # True: step-wise decay (seed); False: continuous (TF code)
    cfg.TRAIN.lr_floor = 0.0             # cosine: the last learning rate, as a fraction of lr
    cfg.TRAIN.warmup_steps = 0           # the learning rate rises linearly from 0 over this many steps
    cfg.TRAIN.bn_momentum_start = 0.0    # BatchNorm momentum of the first epoch, annealed to NETWORK.bn_momentum by the last (0: constant)
    cfg.TRAIN.frame_stride = 1           # an epoch takes every k-th training frame (offset changing per epoch)
    cfg.TRAIN.end_epoch = 200            # epochs to train (with a time budget: at most)
    cfg.TRAIN.time_budget = 0.0          # minutes of wall time for the whole run (0: none); see doc/usage.md
    cfg.TRAIN.checkpoints = 5            # checkpoints per run: every end_epoch/checkpoints epochs
    cfg.TRAIN.shuffle = True             # reshuffle the training set every epoch
    cfg.TRAIN.flip = False               # mirror a random half of each batch (neither paper nor seed)
    cfg.TRAIN.seed = 0                   # random seed of numpy and MXNet (init, shuffling, dropout)
    return cfg.TRAIN


def test_defaults():
    """Section TEST: how test.py and the per-epoch test evaluate."""
    cfg = edict()
    cfg.TEST = edict()
    cfg.TEST.batchsize = 1024            # frames per forward pass; does not change the results
    cfg.TEST.sigma = 0.0                 # std (pixels) of Gaussian noise on the 2D input at test time
    cfg.TEST.noise_seed = 0              # seed of that noise, drawn once: the same numbers every time
    cfg.TEST.flip = False                # average the predictions of each input and its mirror image
    cfg.TEST.every = 1                   # evaluate every N-th frame of each recording (1: all, the paper's protocol)
    return cfg.TEST


def dataset_defaults():
    """Section DATASET of the defaults: what to train and test on."""
    cfg = edict()
    cfg.DATASET = edict()
    cfg.DATASET.source = 'annot'         # files under --dataset: 'annot' (seed), 'videopose3d', 'cdf', 'h5' (doc/data.md) or 'mocap'
    cfg.DATASET.cameras = ''             # cameras of the sources without them: a .json (VideoPose3D's) or the original's cameras.h5 ('' = data/h36m_cameras.json)
    cfg.DATASET.train_2d = 'gt'          # 2D input in training: 'gt' (projected), 'sh' or 'sh_ft' (the original's Stacked Hourglass folders) or NAME of data_2d_h36m_NAME.npz
    cfg.DATASET.test_2d = 'gt'           # 2D input in testing, likewise
    cfg.DATASET.train_subjects = [1, 5, 6, 7, 8]   # Human3.6M subjects to train on
    cfg.DATASET.test_subjects = [9, 11]            # subjects to evaluate on
    cfg.DATASET.sigma = 0.0              # std (pixels) of Gaussian noise added to the 2D input in training
    cfg.DATASET.distortion = False       # apply radial/tangential lens distortion when projecting (TF code: yes; seed: no)
    cfg.DATASET.cache = True             # keep parsed arrays in ROOT/output/cache as .npz
    # Source 'mocap' (--dataset a folder of .bvh/.amc files; doc/data.md, "Motion capture"):
    cfg.DATASET.mocap_test = []          # performers held out for testing (the rest train); train/test_subjects are not used
    cfg.DATASET.mocap_cameras = 'random' # 'random': cameras all around, varied lenses and image sizes; 'h36m': Human3.6M's four; 'mixed': both
    cfg.DATASET.mocap_views = 4          # random cameras per take
    cfg.DATASET.mocap_joints = ''        # a YAML of KEY: joint name for rigs whose joints are not found by structure (lib/data/mocap/joints.py)
    cfg.DATASET.mocap_test_sources = []  # sources held out for testing too (e.g. HDM05, CMU: lib/data/mocap/folder.py)
    cfg.DATASET.mocap_bodies = 'captured'  # training views: the 'captured' bodies, or each view's own joint 'placement', 'proportions' or both ('varied'): lib/data/mocap/bodies.py
    cfg.DATASET.mocap_joint_bias = 0.0   # training views: std of a per-joint 2D offset fixed over a view, as a share of the person's height in the image
    cfg.DATASET.mocap_test_placement = 'captured'  # test views: the joints as derived, or placed as others place them: eyes, joint_hips, shoulder_thorax, detector
    return cfg.DATASET


def load_config(path, base=None):
    """The defaults (or `base`) with the YAML file at `path` applied (lib.core.settings)."""
    return settings.load_config(path, default_config() if base is None else base)


def load_configs(paths, base=None):
    """The defaults (or `base`) with each YAML file of `paths` applied in order."""
    return settings.load_configs(paths, default_config() if base is None else base)
