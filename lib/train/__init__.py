"""Training: the loop, device augmentation and the run folder; imports lib.core, lib.data,
lib.codec, lib.model and lib.eval.

    loop     seeding, the learning-rate schedules, the frames of an epoch, the Trainer, one
             epoch data-parallel over devices, the training set resident on each device
    budget   the time budget: how many epochs fit, and whether the next one does
    augment  noise and mirroring of z-scored batches on the device
    runs     a run's folder and every file in it (config, statistics, checkpoints, checksums,
             resume state, lock, recordings), written (lib.model.run_files reads them)
    resume   the resume checkpoint: written after every epoch, read back and checked
    state    RunState: where a run stands (epoch, step, curves, plan, clock)
"""
from lib.train.augment import DeviceAugment
from lib.train.loop import DeviceData, Training, make_trainer, set_seed, train_epoch

__all__ = ['DeviceAugment', 'DeviceData', 'Training', 'make_trainer', 'set_seed', 'train_epoch']
