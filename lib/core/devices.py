"""MXNet devices: the GPUs a command asks for, checked against those MXNet sees."""
import mxnet as mx

from lib.core.errors import PoseError


def gpu_contexts(ids, what, on_cpu):
    """[mx.gpu(i) for i in ids] (ids distinct, >= 0), or a PoseError naming `what` (the option
    or argument that asked) when MXNet does not see them all, which says how to run on the CPU
    instead (`on_cpu`, e.g. 'with --gpu -1'); a CPU build of MXNet sees none."""
    try:
        available = mx.context.num_gpus()
    except mx.base.MXNetError:
        available = 0
    if available == 0:
        raise PoseError('%s: MXNet sees no GPU (no device, or a CPU-only mxnet build); run on '
                        'the CPU %s' % (what, on_cpu))
    missing = [i for i in ids if i >= available]
    if missing:
        raise PoseError('%s: GPU %d not found, MXNet sees %d GPU(s) (ids 0..%d); run on one of '
                        'those or on the CPU %s' % (what, missing[0], available, available - 1,
                                                    on_cpu))
    return [mx.gpu(i) for i in ids]
