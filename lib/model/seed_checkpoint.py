"""The seed's checkpoints: `collect_params().save()` files of its SimpleBaseline network.

Their parameters are named by creation order: simplebaseline0_dense0_weight (1024, 32) and
_bias, simplebaseline0_batchnorm0_gamma|beta|running_mean|running_var (1024), dense1..dense4
(1024, 1024) with batchnorm1..batchnorm4 (two per residual block, in order), and dense5
(48, 1024). That is the forward order of LiftingNetwork's Linear and BatchNorm layers, so the
seed's layer k goes to our k-th layer of the same kind.
"""
import mxnet as mx

from lib.core.errors import PoseError, error_reason

PREFIX = 'simplebaseline0_'
DENSE_FIELDS = ('weight', 'bias')
BN_FIELDS = ('gamma', 'beta', 'running_mean', 'running_var')


def read_params(path):
    """All arrays of a .params file as {name: NDArray} (either format)."""
    try:
        arrays = mx.nd.load(path)
    except Exception as e:          # MXNetError, or UnicodeDecodeError from a damaged name
        raise PoseError('%s: not an MXNet parameter file (%s)' % (path, error_reason(e)))
    if not isinstance(arrays, dict):
        raise PoseError('%s: holds unnamed arrays, not network parameters' % path)
    return arrays


def is_seed_checkpoint(path):
    """True when the file's parameter names are the seed's."""
    return any(name.startswith(PREFIX) for name in read_params(path))


def load_seed_checkpoint(net, path, contexts):
    """Copy a seed checkpoint into an initialised LiftingNetwork (same sizes)."""
    arrays = {k.replace('arg:', '').replace('aux:', ''): v for k, v in read_params(path).items()}
    dense, bns = net.dense_layers(), net.batchnorm_layers()
    expected = ['%sdense%d_%s' % (PREFIX, i, f) for i in range(len(dense)) for f in DENSE_FIELDS]
    expected += ['%sbatchnorm%d_%s' % (PREFIX, i, f) for i in range(len(bns)) for f in BN_FIELDS]
    missing = [n for n in expected if n not in arrays]
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise PoseError('%s: seed checkpoint does not fit this network (missing %s; unexpected %s)'
                        % (path, missing[:3] or 'none', extra[:3] or 'none'))
    pairs = [(getattr(layer, f), '%sdense%d_%s' % (PREFIX, i, f))
             for i, layer in enumerate(dense) for f in DENSE_FIELDS]
    pairs += [(getattr(layer, f), '%sbatchnorm%d_%s' % (PREFIX, i, f))
              for i, layer in enumerate(bns) for f in BN_FIELDS]
    for param, name in pairs:
        if param.shape != arrays[name].shape:
            raise PoseError('%s: %s has shape %s, this network needs %s'
                            % (path, name, arrays[name].shape, param.shape))
    net.initialize(ctx=contexts)
    for param, name in pairs:
        param.set_data(arrays[name])
