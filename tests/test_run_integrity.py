"""A run's files checked whenever they are read back: checksums, statistics that belong to
their parameters, resume checkpoints, one trainer a run folder.
"""
import os
import shutil

import numpy as np
import pytest

from lib.core.errors import PoseError
from lib.infer.lifter import Lifter
from lib.model import run_files
from lib.train import runs
from tests.conftest import one_line_error, run_cli


def test_degenerate_statistics_are_refused():
    from lib.codec import compute_stats
    with pytest.raises(PoseError, match='every input pose is the same'):
        compute_stats(np.ones((10, 32), np.float32), np.random.rand(10, 48).astype(np.float32))
    with pytest.raises(PoseError, match='NaN or infinity'):
        compute_stats(np.full((10, 32), np.inf, np.float32), np.random.rand(10, 48))


def test_a_damaged_params_file_is_caught_by_its_checksum(run_copy, trained_run):
    model = run_copy / 'Model_epoch6.params'
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 0x10                 # one bit in the middle of a weight
    model.write_bytes(bytes(raw))
    before = {p: p.read_bytes() for p in run_copy.iterdir()}
    proc = run_cli('test.py', '--root', run_copy.parent, '--dataset', trained_run['data'],
                   '--model', model)
    one_line_error(proc, 'Model_epoch6.params', 'SHA-256 differs')
    assert {p: p.read_bytes() for p in run_copy.iterdir()} == before     # nothing written


def test_a_broken_params_file_says_what_is_wrong(run_copy, trained_run):
    model = run_copy / 'Model_epoch6.params'
    model.write_bytes(model.read_bytes()[:1000])
    os.remove(run_copy / 'checksums.json')
    proc = run_cli('test.py', '--root', run_copy.parent, '--dataset', trained_run['data'],
                   '--model', model)
    one_line_error(proc, 'Model_epoch6.params')
    assert 'Traceback' not in proc.stderr and '(most recent call last)' not in proc.stderr


def test_truncated_statistics(run_copy):
    from lib.codec import load_stats
    stats = run_copy / 'meanstd.npz'
    stats.write_bytes(stats.read_bytes()[:300])
    with pytest.raises(PoseError, match='cannot read normalisation statistics'):
        load_stats(str(stats))


def test_resume_checkpoint_with_wrong_fields_or_damaged_content(run_copy):
    """A hand-made or damaged resume.npz is refused field by field, before anything is loaded;
    it names no other file, so nothing outside the run can be read or removed through it."""
    import mxnet as mx
    from config import load_config
    from lib.core.settings import to_plain
    from lib.model.network import build_network, initialize_network
    from lib.train import resume
    from lib.train.loop import make_trainer
    cfg = load_config(str(run_copy / 'hyperParams.yaml'))
    path = str(run_copy / 'resume.npz')
    files = {n: run_files.file_sha256(str(run_copy / n)) for n in ('hyperParams.yaml', 'meanstd.npz')}
    good = {'epoch': 2, 'step': 10, 'curves': [], 'elapsed': 1.0, 'devices': 1,
            'dataset': '/data', 'config': to_plain(cfg), 'files': files}
    net = build_network(cfg.NETWORK)
    initialize_network(net, cfg.NETWORK, [mx.cpu()])
    trainer = make_trainer(net, cfg.TRAIN)
    params = (run_copy / 'Model_epoch6.params').read_bytes()
    cases = [(dict(good, epoch='two'), "field epoch is 'two', expected int", '/data'),
             (dict(good, epoch=6), 'epoch 6 / step 10 out of range', '/data'),
             (good, 'the run trained on /data', '/else'),
             (dict(good, config=dict(good['config'], TRAIN={})), 'differs from the config', '/data'),
             (dict(good, files=dict(files, **{'meanstd.npz': '0' * 64})), 'meanstd.npz is not the one',
              '/data'),
             (dict(good, files={'../../victim.params': 'x'}), 'victim.params is not the one', '/data')]
    for state, message, dataset in cases:
        resume.write_checkpoint_file(path, params, b'', state)
        with pytest.raises(PoseError, match=message):
            resume.read_checkpoint(str(run_copy), cfg, 1, dataset)
    (run_copy / 'resume.npz').write_bytes(b'PK\x03\x04 not a zip')
    with pytest.raises(PoseError, match='resume.npz: not a readable checkpoint'):
        resume.read_checkpoint(str(run_copy), cfg, 1, '/data')
    for optimizer in (b'', b'\x00' * 40):
        resume.write_checkpoint_file(path, params, optimizer, good)
        state = resume.read_checkpoint(str(run_copy), cfg, 1, '/data')
        with pytest.raises(PoseError, match='resume.npz: not a readable optimiser state'):
            resume.load_checkpoint_weights(net, trainer, state, [mx.cpu()])
    # Parameters that hold NaN (a run that diverged) are refused like a damaged file's.
    first = net.collect_params()[sorted(net.collect_params())[0]]
    first.set_data(mx.nd.full(first.shape, np.nan))
    net.save_parameters(str(run_copy / 'nan.params'))
    trainer.save_states(str(run_copy / 'ok.states'))
    resume.write_checkpoint_file(path, (run_copy / 'nan.params').read_bytes(),
                                 (run_copy / 'ok.states').read_bytes(), good)
    state = resume.read_checkpoint(str(run_copy), cfg, 1, '/data')
    with pytest.raises(PoseError, match='resume.npz: .* holds NaN or infinity'):
        resume.load_checkpoint_weights(net, trainer, state, [mx.cpu()])


def test_two_trainers_on_one_run_folder(tmp_path):
    first = runs.lock_run_dir(str(tmp_path))
    with pytest.raises(PoseError, match='another train.py is using this run folder'):
        runs.lock_run_dir(str(tmp_path))
    first.close()
    runs.lock_run_dir(str(tmp_path)).close()


def test_parameters_are_tied_to_their_statistics(tmp_path, trained_run):
    """A .params copied into another run's folder under a new name would be lifted with that
    run's statistics: refused."""
    other = tmp_path / 'other'
    shutil.copytree(trained_run['run'], other)
    shutil.copy(other / 'Model_epoch6.params', other / 'Imported.params')
    with pytest.raises(PoseError, match='not written by the run of this folder'):
        Lifter.load(str(other / 'Imported.params'))
    Lifter.load(str(other / 'Model_epoch6.params'))


def test_statistics_given_as_a_dict_are_checked(trained_run):
    model = os.path.join(trained_run['run'], 'Model_epoch6.params')
    good = Lifter.load(model).stats
    for change, message in ((dict(std2d=np.zeros(32)), 'std2d holds a standard deviation <= 0'),
                            (dict(mean3d=np.zeros(47)), 'mean3d has shape'),
                            (dict(mean2d=np.full(32, np.nan)), 'mean2d holds NaN')):
        with pytest.raises(PoseError, match=message):
            Lifter.load(model, stats=dict(good, **change))
    with pytest.raises(PoseError, match='expected a dict of mean2d'):
        Lifter.load(model, stats={'mean2d': 1})
