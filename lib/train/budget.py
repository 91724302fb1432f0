"""A run's time budget (TRAIN.time_budget, minutes of wall time for the whole command): how
many epochs fit, planned before the first epoch from a timed probe and again before every
epoch from the epochs timed so far."""
import math
import time

import mxnet as mx
import numpy as np

from lib.model.network import training_network
from lib.train.loop import Training, make_trainer, train_epoch

# Per epoch, besides its steps and the test: curves, figure, checkpoint files (seconds).
EPOCH_OVERHEAD_S = 1.0


class TimeBudget:
    """`minutes` of wall time (0: no budget); times are seconds since the run's clock started
    (the first command of the run; a resumed run carries its elapsed time on)."""

    def __init__(self, minutes):
        self.seconds = 60.0 * minutes

    @property
    def active(self):
        return self.seconds > 0

    def left(self, elapsed):
        return self.seconds - elapsed

    def epochs_left(self, elapsed, epoch_seconds):
        """Whole epochs of `epoch_seconds` that fit in what is left (0 or more)."""
        return max(0, math.floor(self.left(elapsed) / max(epoch_seconds, 1e-9)))

    def epochs_that_fit(self, elapsed, epoch_seconds, most):
        """epochs_left, at least 1 and at most `most` (a run trains at least one epoch)."""
        return int(min(most, max(1, self.epochs_left(elapsed, epoch_seconds))))

    def replanned(self, planned, epoch, elapsed, epoch_seconds, most):
        """The run's epochs after epoch `epoch` of `planned`, at most `most`: fewer as soon as
        the planned ones no longer fit; more only when one more fits with half an epoch to
        spare, so that epoch times that vary a little do not flip the plan (and the schedule
        laid over it) between two lengths near the end. `epoch` itself: stop now."""
        fit = min(epoch + self.epochs_left(elapsed, epoch_seconds), most)
        if fit > planned:
            spare = min(epoch + self.epochs_left(elapsed + epoch_seconds / 2, epoch_seconds), most)
            fit = max(planned, spare)
        return max(fit, epoch)


def probe_step_seconds(training, net_cfg, steps=8):
    """Seconds a training step of `training` takes, timed over `steps` steps (after two to warm
    up) on a scratch copy of its network, so that the run's own network and optimiser are not
    touched (and since every epoch reseeds the generators, the run draws what it would draw
    without the probe)."""
    contexts = training.data.contexts
    net = training_network(net_cfg, contexts)
    scratch = Training(net, make_trainer(net, training.train_cfg), training.data,
                       training.train_cfg, training.batch_per_device, training.augment,
                       training.total_steps or 1)
    rng = np.random.default_rng(0)
    train_epoch(scratch, rng, 0, desc='timing a step', limit=2)
    mx.nd.waitall()
    start = time.time()
    train_epoch(scratch, rng, 0, desc='timing a step', limit=steps)
    mx.nd.waitall()
    return (time.time() - start) / steps
