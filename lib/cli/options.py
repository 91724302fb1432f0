"""Command-line pieces shared by the commands: options, devices, logging, error handling."""
import argparse
import logging
import os
import re
import signal
import sys

import mxnet as mx

from lib.core.devices import gpu_contexts
from lib.core.errors import PoseError


def parser_for(doc):
    """An ArgumentParser described by the command's whole docstring `doc` (kept as written); a
    value like -1,-1 after an option is taken as a value, not as an option (argparse knows only
    plain negative numbers)."""
    parser = argparse.ArgumentParser(description=doc.strip(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser._negative_number_matcher = re.compile(r'^-\d[-\d,.]*$')
    return parser


def base_parser(doc, dataset=True, training=False):
    """The seed's options (--gpu, --root, --dataset, --debug) plus --cfg; without --root and
    --dataset when the command reads no dataset. `training`: the command trains (several GPUs,
    the config.py defaults); else it evaluates a run (one device, the run's own config)."""
    parser = parser_for(doc)
    parser.add_argument('--gpu', default='-1', help=(
        'GPUs to train on, data parallel, e.g. 0 or 0,1,2,3; -1 for the CPU (default)' if training
        else 'the GPU to use, e.g. 0; -1 for the CPU (default); of a list only the first is used'))
    if dataset:
        parser.add_argument('--root', default='.', help=(
            'project root: runs, logs and the cache go under ROOT/output' if training else
            'project root: the cache and the default --summary go under ROOT/output; results '
            'go beside each --model'))
        parser.add_argument('--dataset', default='./data/',
                            help='dataset root that holds annot/ or the files of another source '
                                 '(default ./data/)')
    parser.add_argument('--cfg', action='append', default=[], help=(
        'YAML file applied over the config.py defaults' if training else
        "YAML file applied over the run's own hyperParams.yaml") +
        '; may be given several times, applied in order')
    parser.add_argument('--debug', action='store_true', help='debug mode: verbose log')
    return parser


def contexts_from_arg(gpu):
    """'-1' -> [cpu()]; '0,1' -> [gpu(0), gpu(1)], checked against the GPUs MXNet sees."""
    text = str(gpu).strip()
    try:
        ids = [int(t) for t in text.split(',') if t.strip() != '']
    except ValueError:
        raise PoseError('--gpu %s: expected a comma list of GPU ids like 0,1, or -1 for the CPU'
                        % text)
    if not ids:
        raise PoseError('--gpu: empty; give GPU ids like 0,1, or -1 for the CPU')
    if ids == [-1]:
        return [mx.cpu()]
    if any(i < 0 for i in ids) or len(set(ids)) != len(ids):
        raise PoseError('--gpu %s: GPU ids must be distinct and >= 0 (or -1 alone for the CPU)'
                        % text)
    return gpu_contexts(ids, '--gpu %s' % text, 'with --gpu -1')


def setup_logging(log_file=None, debug=False):
    """Log to the console and, when given, to a file, in one format. The commands report through
    logging; only run() prints (the one-line error) and tools/bench.py prints its table."""
    # A log file on a full disk: the next write of the command reports it in one line, so the
    # logging module's own tracebacks would only repeat it.
    logging.raiseExceptions = False
    for stream in (sys.stdout, sys.stderr):
        # A file name that is not valid in the terminal's encoding is shown escaped, never a
        # logging error.
        if hasattr(stream, 'reconfigure'):
            stream.reconfigure(errors='backslashreplace')
    close_logging()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt = logging.Formatter('[%(asctime)s] %(message)s', '%Y-%m-%d %H:%M:%S')
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(fmt)
    root.addHandler(console)
    if log_file:
        os.makedirs(os.path.dirname(log_file) or '.', exist_ok=True)
        handler = logging.FileHandler(log_file)
        handler.setFormatter(fmt)
        root.addHandler(handler)


def close_logging():
    """Remove and close every handler of the root logger (the console, a log file)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def run(main):
    """Call main() as a command: Ctrl-C is Python's again, and the process exits with the
    status of exit_status(main)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(exit_status(main))


def exit_status(main, argv=None):
    """main(argv)'s exit status: its own (0 for None); 2 with `error: ...` on stderr for a
    PoseError or an OSError (a full disk, an unwritable folder: which file, in one line); 130
    for Ctrl-C. The tests call commands in-process through it."""
    try:
        return main(argv) or 0
    except PoseError as e:
        logging.getLogger(__name__).debug('fatal', exc_info=True)
        print('error: %s' % e, file=sys.stderr)
        return 2
    except OSError as e:
        logging.getLogger(__name__).debug('fatal', exc_info=True)
        where = e.filename or 'writing output'
        print('error: %s: %s' % (where, e.strerror or e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130


def check_dataset_root(path):
    if not os.path.isdir(path):
        raise PoseError('--dataset %s: no such folder' % path)
