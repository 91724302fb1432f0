"""Where a training run stands, carried from epoch to epoch and through its resume checkpoint."""
import time


class RunState:
    """epoch: the last completed epoch (0 before the first); step: Trainer steps so far; curves:
    a dict an epoch (epoch, step, lr, loss, test errors, seconds); planned: the epochs the run
    will train (None until they are planned); started: time.time() when the run's clock
    started, earlier than this process's start by the seconds of the processes before it;
    kept: the last epoch whose resume checkpoint is complete on disk (0 for none)."""

    def __init__(self, started, epoch=0, step=0, curves=None, planned=None):
        self.started, self.epoch, self.step = started, epoch, step
        self.curves = list(curves or [])
        self.planned = planned
        self.kept = epoch

    @classmethod
    def resumed(cls, checkpoint, clock, end_epoch):
        """The state a resume checkpoint (lib.train.resume.read_checkpoint) holds, the run's
        clock carried over to this process, which started at `clock`."""
        return cls(clock - checkpoint['elapsed'], checkpoint['epoch'], checkpoint['step'],
                   checkpoint['curves'], checkpoint.get('planned_epochs', end_epoch))

    def seconds(self):
        """Seconds the run has taken so far, over every process."""
        return time.time() - self.started

    def checkpoint_fields(self):
        """What the resume checkpoint keeps of the state."""
        return {'epoch': self.epoch, 'step': self.step, 'curves': self.curves,
                'elapsed': self.seconds(), 'planned_epochs': self.planned}
