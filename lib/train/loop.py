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


def learning_rate(step, train_cfg):
    """lr * decay_rate ** (step / decay_steps), floored to whole periods when staircase."""
    periods = step / train_cfg.decay_steps
    if train_cfg.decay_staircase:
        periods = np.floor(periods)
    return train_cfg.lr * train_cfg.decay_rate ** periods


def make_trainer(net, train_cfg):
    """One Adam Trainer over all the network's parameters (and all its contexts)."""
    if train_cfg.optimizer != 'adam':
        raise ValueError('only adam is supported')
    return gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': train_cfg.lr})


def batch_losses(net, xs, ys):
    """The training loss of one batch split over the devices: per device, the mean squared
    error over the 48 outputs of each sample, (batch per device,). Call under autograd.record."""
    return [mx.nd.mean(mx.nd.square(net(x) - y), axis=1) for x, y in zip(xs, ys)]


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
    (lib.train.augment.DeviceAugment) or None."""

    def __init__(self, net, trainer, data, train_cfg, batch_per_device=None, augment=None):
        self.net, self.trainer, self.data, self.train_cfg = net, trainer, data, train_cfg
        self.batch_per_device = batch_per_device or train_cfg.batchsize
        self.augment = augment


def train_epoch(training, rng, step, desc='train'):
    """One pass over the training set of `training` (a Training).

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
    num_batches = data.size // batch
    order = rng.permutation(data.size) if train_cfg.shuffle else np.arange(data.size)
    # (batches, devices, per device) indices, one copy on each device.
    order = order[:num_batches * batch].reshape(num_batches, len(contexts), batch_per_device)
    order = [mx.nd.array(order[:, k], ctx=c, dtype='int64') for k, c in enumerate(contexts)]
    total = mx.nd.zeros((1,), ctx=contexts[0])
    bar = progress(total=num_batches * batch, desc=desc, unit='sample')
    start = time.time()
    for b in range(num_batches):
        xs, ys = [], []
        for k, (inputs, targets, cx) in enumerate(data.parts):
            idx = order[k][b]
            x, y = mx.nd.take(inputs, idx), mx.nd.take(targets, idx)
            if augment is not None:
                x, y = augment(x, y, mx.nd.take(cx, idx))
            xs.append(x)
            ys.append(y)
        trainer.set_learning_rate(learning_rate(step, train_cfg))
        with autograd.record():
            losses = batch_losses(net, xs, ys)
        autograd.backward(losses)
        trainer.step(batch)
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
