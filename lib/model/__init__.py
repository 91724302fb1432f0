"""The residual MLP of Martinez et al. (2017) and what is made of it; imports lib.core and
lib.codec.

    network          LiftingNetwork (as trained), build and initialise it; FoldedNetwork (each
                     BatchNorm and max-norm scale folded into its Linear layer, for prediction)
    seed_checkpoint  the seed's parameter files
    onnx             ONNX export with the normalisation (and optionally the rescaling) built in
    run_files        a run folder's files read back (config, statistics, parameters,
                     checksums), for training's --resume and for every user of a trained model
"""
from lib.model.network import build_network, fold_batchnorm, initialize_network

__all__ = ['build_network', 'fold_batchnorm', 'initialize_network']
