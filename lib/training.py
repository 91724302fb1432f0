"""Training loop and batched prediction, data-parallel over a list of MXNet contexts."""
import logging
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from lib.progress import progress

log = logging.getLogger(__name__)


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


def train_epoch(net, trainer, inputs, targets, contexts, batch_per_device, train_cfg, rng,
                step, batch_transform=None, desc='train'):
    """One pass over the training set.

    inputs (N, 32), targets (N, 48) float32, z-scored. Each step takes batch_per_device *
    len(contexts) samples, splits them over the contexts and makes one Trainer step; the last
    partial batch is skipped (the order changes every epoch, so no sample is left out for
    good). batch_transform(x, y, idx, rng) -> (x, y), if given, changes each batch (noise,
    mirroring: lib.augment). The learning rate follows `learning_rate(step)`.
    Returns (mean loss over the epoch, next step). The loss is summed on the device and read
    once at the end: no host synchronisation per step.
    """
    n = len(inputs)
    batch = batch_per_device * len(contexts)
    order = rng.permutation(n) if train_cfg.shuffle else np.arange(n)
    num_batches = n // batch
    total = mx.nd.zeros((1,), ctx=contexts[0])
    bar = progress(total=num_batches * batch, desc=desc, unit='sample')
    start = time.time()
    for b in range(num_batches):
        idx = order[b * batch:(b + 1) * batch]
        x, y = inputs[idx], targets[idx]
        if batch_transform is not None:
            x, y = batch_transform(x, y, idx, rng)
        xs = gluon.utils.split_and_load(x, contexts, even_split=False)
        ys = gluon.utils.split_and_load(y, contexts, even_split=False)
        trainer.set_learning_rate(learning_rate(step, train_cfg))
        with autograd.record():
            losses = [mx.nd.mean(mx.nd.square(net(xi) - yi), axis=1) for xi, yi in zip(xs, ys)]
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


def predict(net, inputs, context, batch_size):
    """Forward every row of inputs (N, D) z-scored, in inference mode, the last partial batch
    included. Returns (N, out) float32 numpy."""
    outputs = []
    for start in progress(range(0, len(inputs), batch_size), desc='predict', unit='batch'):
        x = mx.nd.array(inputs[start:start + batch_size], ctx=context)
        outputs.append(net(x))
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    return mx.nd.concat(*outputs, dim=0).asnumpy()
