"""Training: the loop, device augmentation and the run folder; imports lib.core, lib.data,
lib.codec, lib.model and lib.eval.

    loop     seeding, the learning-rate schedule, the Trainer, one epoch data-parallel over
             devices, the training set resident on each device
    augment  noise and mirroring of z-scored batches on the device
    runs     a run's folder and every file in it (config, statistics, checkpoints, checksums,
             resume state, lock, recordings): one writer and one reader each
"""
from lib.train.augment import DeviceAugment
from lib.train.loop import DeviceData, Training, make_trainer, set_seed, train_epoch

__all__ = ['DeviceAugment', 'DeviceData', 'Training', 'make_trainer', 'set_seed', 'train_epoch']
