"""The training loop, data-parallel over a list of MXNet contexts: seeding, the learning-rate
schedule, the Trainer, the training set resident on every device, one epoch. (Prediction is
lib.eval.prediction.)"""
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from lib.core.progress import progress


def set_seed(seed):
    """Seed numpy's and MXNet's generators (all devices). Returns a numpy Generator for
    shuffling and noise."""
    np.random.seed(seed)
    mx.random.seed(seed)
    return np.random.default_rng(seed)


def epoch_seed(seed, epoch):
    """A 32-bit seed for one epoch, derived from the run's seed."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def learning_rate(step, train_cfg, total_steps=None):
    """The learning rate of step `step` (counted from 0) of a run of `total_steps` steps.

    TRAIN.schedule 'exponential': lr * decay_rate ** (step / decay_steps), floored to whole
    periods when decay_staircase (the paper's and the seed's; total_steps unused). 'cosine':
    from lr down to lr * lr_floor along half a cosine over the run's total_steps, then flat.
    Either is multiplied by (step + 1) / warmup_steps over the first warmup_steps steps."""
    if train_cfg.schedule == 'cosine':
        if not total_steps:
            raise ValueError('the cosine schedule needs the run\'s total steps')
        done = min(step / total_steps, 1.0)
        floor = train_cfg.lr_floor
        rate = train_cfg.lr * (floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * done)))
    else:
        periods = step / train_cfg.decay_steps
        if train_cfg.decay_staircase:
            periods = np.floor(periods)
        rate = train_cfg.lr * train_cfg.decay_rate ** periods
    if step < train_cfg.warmup_steps:
        rate *= (step + 1) / train_cfg.warmup_steps
    return float(rate)


def bn_momentum(epoch, epochs, start, end):
    """BatchNorm's running-average momentum in epoch `epoch` (from 1) of `epochs`: `end` (the
    network's NETWORK.bn_momentum) when `start` is 0, else annealed from `start` in the first
    epoch to `end` in the last, geometrically in 1 - momentum, the share of each new batch
    (as VideoPose3D, Pavllo et al. 2019, anneals it from 0.1 to 0.001 of a batch): early on
    the running statistics follow the fast-moving weights, at the end they average many
    batches."""
    if not start:
        return float(end)
    done = min((epoch - 1) / max(epochs - 1, 1), 1.0)
    return float(1 - (1 - start) * ((1 - end) / (1 - start)) ** done)


def stride_offset(seed, epoch, stride):
    """The first frame (0 <= offset < stride) of epoch `epoch` (from 1) when an epoch takes every
    stride-th frame: the offsets of epochs 1..stride, stride+1..2 stride, ... are each a
    permutation of 0..stride-1 drawn from (seed, cycle), so every frame is trained on once in
    every `stride` epochs, in an order that differs between cycles."""
    cycle, k = divmod(epoch - 1, stride)
    order = np.random.default_rng(np.random.SeedSequence([seed, cycle, stride])).permutation(stride)
    return int(order[k])


def epoch_frames(size, stride, offset):
    """The indices of the training frames of one epoch: every stride-th from offset."""
    return np.arange(offset, size, stride)


def epoch_steps(size, batch, stride, offset):
    """How many full batches one epoch (epoch_frames) makes."""
    return len(range(offset, size, stride)) // batch


def run_steps(size, batch, stride, seed, epochs):
    """The steps of epochs 1..epochs together (each epoch's frame offset from stride_offset):
    every whole cycle of `stride` epochs takes each offset once, so only the last, partial
    cycle needs its offsets drawn."""
    cycles, rest = divmod(epochs, stride)
    per_cycle = sum(epoch_steps(size, batch, stride, offset) for offset in range(stride))
    return cycles * per_cycle + sum(
        epoch_steps(size, batch, stride, stride_offset(seed, e, stride))
        for e in range(cycles * stride + 1, epochs + 1))


def make_trainer(net, train_cfg):
    """One Adam Trainer over all the network's parameters (and all its contexts)."""
    if train_cfg.optimizer != 'adam':
        raise ValueError('only adam is supported')
    return gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': train_cfg.lr})


def batch_losses(net, xs, ys):
    """The training loss of one batch split over the devices: per device, the mean squared
    error over the 48 outputs of each sample, (batch per device,). Call under autograd.record."""
    return [mx.nd.mean(mx.nd.square(net(x) - y), axis=1) for x, y in zip(xs, ys)]


def train_step(net, trainer, xs, ys, batch):
    """One Trainer step (forward, backward, Adam update) on a batch of `batch` samples split
    over the devices (xs, ys: a z-scored array a device). Returns the per-device losses, still
    on the devices (nothing is read back)."""
    with autograd.record():
        losses = batch_losses(net, xs, ys)
    autograd.backward(losses)
    trainer.step(batch)
    return losses


class DeviceData:
    """The training set kept on every device, so that batches are gathered there and nothing
    crosses from the host per step: inputs (N, 32) and targets (N, 48) z-scored float32, and
    cx (N,) each frame's principal point in pixels (for mirroring)."""

    def __init__(self, inputs, targets, cx, contexts):
        self.size = len(inputs)
        self.contexts = list(contexts)
        self.parts = [(mx.nd.array(inputs, ctx=c), mx.nd.array(targets, ctx=c),
                       mx.nd.array(cx, ctx=c)) for c in self.contexts]


class Training:
    """What an epoch works on: the network `net` and its `trainer`, the training set `data` on
    the devices (DeviceData), the TRAIN config section `train_cfg`, the batch per device
    (default TRAIN.batchsize) and `augment`, a function (x, y, cx) -> (x, y) on the device
    (lib.train.augment.DeviceAugment) or None, and `total_steps`, the steps of the whole run
    (for schedules laid over it; None for the exponential one)."""

    def __init__(self, net, trainer, data, train_cfg, batch_per_device=None, augment=None,
                 total_steps=None):
        self.net, self.trainer, self.data, self.train_cfg = net, trainer, data, train_cfg
        self.batch_per_device = batch_per_device or train_cfg.batchsize
        self.augment = augment
        self.total_steps = total_steps

    @property
    def batch(self):
        """Samples a step over all devices."""
        return self.batch_per_device * len(self.data.contexts)


def _gather(data, indices, augment):
    """One batch on every device: the samples at `indices` (one index array a device) of the
    DeviceData `data`, augmented when `augment` is given. Returns ([x], [y]) a device each."""
    xs, ys = [], []
    for (inputs, targets, cx), idx in zip(data.parts, indices):
        x, y = mx.nd.take(inputs, idx), mx.nd.take(targets, idx)
        if augment is not None:
            x, y = augment(x, y, mx.nd.take(cx, idx))
        xs.append(x)
        ys.append(y)
    return xs, ys


def train_epoch(training, rng, step, desc='train', offset=0, limit=None):
    """One pass over the training set of `training` (a Training): every TRAIN.frame_stride-th
    frame from `offset` (all of them at the default stride 1), or its first `limit` batches.

    Each step takes batch_per_device samples on each device (gathered there by index from a
    permutation drawn with `rng`) and makes one Trainer step; the last partial batch is
    skipped (with shuffling, a different tail every epoch; with TRAIN.shuffle off, the same
    last samples every epoch, as the seed did). The augmentation, if any, changes each batch.
    The learning rate follows `learning_rate(step)`. Returns (mean loss over the epoch, next
    step). The loss is summed on the device and read once at the end: no host synchronisation
    per step.
    """
    net, trainer, data = training.net, training.trainer, training.data
    train_cfg = training.train_cfg
    batch_per_device, augment = training.batch_per_device, training.augment
    contexts = data.contexts
    batch = batch_per_device * len(contexts)
    frames = epoch_frames(data.size, train_cfg.frame_stride, offset)
    num_batches = len(frames) // batch if limit is None else min(limit, len(frames) // batch)
    order = rng.permutation(frames) if train_cfg.shuffle else frames
    # (batches, devices, per device) indices, one copy on each device.
    order = order[:num_batches * batch].reshape(num_batches, len(contexts), batch_per_device)
    order = [mx.nd.array(order[:, k], ctx=c, dtype='int64') for k, c in enumerate(contexts)]
    total = mx.nd.zeros((1,), ctx=contexts[0])
    bar = progress(total=num_batches * batch, desc=desc, unit='sample')
    start = time.time()
    for b in range(num_batches):
        xs, ys = _gather(data, [device_order[b] for device_order in order], augment)
        trainer.set_learning_rate(learning_rate(step, train_cfg, training.total_steps))
        losses = train_step(net, trainer, xs, ys, batch)
        for loss in losses:
            total += loss.sum().as_in_context(contexts[0])
        step += 1
        if b % 50 == 49:
            # The shown loss is read from the device every 50 steps only, for the bar alone.
            if not bar.disable:
                bar.set_postfix(loss='%.4f' % (total.asscalar() / ((b + 1) * batch)),
                                samples_per_s='%.0f' % ((b + 1) * batch / (time.time() - start)))
            bar.update(50 * batch)
    bar.close()
    mean_loss = float(total.asscalar()) / max(num_batches * batch, 1)
    return mean_loss, step
