"""Malformed, damaged and hostile data files: each read right or refused in one line that
names the file and the fault (doc/reliability.md).
"""
import json
import os
import shutil
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from config import default_config, load_config
from lib.core.errors import PoseError
from lib.core.resources import DEFAULT_CAMERAS
from lib.data import synthetic
from lib.data.cameras import check_cameras, load_cameras, load_h36m_cameras
from lib.data.dataset import load_dataset
from lib.data.h36m import annotation
from lib.data.h36m.videopose3d import load_pickled_npz
from tests.conftest import write_yaml


FLIPS = 60


def _annotation(tmp_path, subjects=(9,)):
    synthetic.generate(str(tmp_path / 'd'), frames=2, seed=0, subjects=list(subjects))
    return str(tmp_path / 'd')


def _rewrite_line(path, number, text):
    lines = open(path).read().split('\n')
    lines[number - 1] = text
    open(path, 'w').write('\n'.join(lines))


def test_zero_frame_files_everywhere(tmp_path):
    from lib.data.dataset import load_subjects
    root = _annotation(tmp_path)
    for folder in os.listdir(os.path.join(root, 'annot')):
        path = os.path.join(root, 'annot', folder, 'matlab_meta.txt')
        lines = open(path).read().split('\n')
        open(path, 'w').write('\n'.join(['0'] + lines[1:9]) + '\n')
    with pytest.raises(PoseError, match='no frames for subjects \\[9\\]'):
        load_subjects(root, [9])


@pytest.mark.parametrize('line, text, message', [
    (1, '100000000000', 'line 1: expected the number of frames \\(0 to'),
    (5, 'c 500 500', "line 5: labelled 'c', the label of line 6"),
    (5, 'f 1145 1144 7', 'line 5: expected a label and 2 numbers, found 4 tokens'),
    (5, 'f 0 1145', 'focal lengths must be > 0'),
    (5, 'f 1e308 1e308', 'projections beyond'),
    (3, 'R 1 0 0 0 1 0 0 0 2', 'not a rotation matrix'),
    (9, 'joints 1 1 3 4 7 8 9 13 14 15 16 18 19 20 26 27 28', 'distinct joint indices'),
])
def test_bad_header_lines(tmp_path, line, text, message):
    from lib.data.dataset import load_subjects
    root = _annotation(tmp_path)
    path = os.path.join(root, 'annot', annotation.folder_name(9, 2, 1, 1), 'matlab_meta.txt')
    _rewrite_line(path, line, text)
    with pytest.raises(PoseError, match=message):
        load_subjects(root, [9], workers=1)


def test_a_folder_or_a_link_loop_where_a_file_should_be(tmp_path):
    from lib.data.dataset import load_subjects
    root = _annotation(tmp_path)
    path = os.path.join(root, 'annot', annotation.folder_name(9, 3, 1, 1), 'matlab_meta.txt')
    os.remove(path)
    os.mkdir(path)
    with pytest.raises(PoseError, match='not a readable file \\(a folder\\)'):
        load_subjects(root, [9])
    os.rmdir(path)
    os.symlink(path, path)
    with pytest.raises(PoseError, match='a broken or looping link'):
        load_subjects(root, [9])


@pytest.fixture(scope='module')
def flip_targets(tmp_path_factory, trained_run):
    """A run folder copy and a cached dataset, to damage one byte at a time."""
    from lib.data.dataset import load_subjects
    base = tmp_path_factory.mktemp('flips')
    run = base / 'run'
    shutil.copytree(trained_run['run'], run)
    synthetic.generate(str(base / 'd'), frames=2, seed=0, subjects=[9])
    cache = str(base / 'cache')
    reference = load_subjects(str(base / 'd'), [9], cache_dir=cache)
    cache_file = os.path.join(cache, os.listdir(cache)[0])
    return {'run': run, 'data': str(base / 'd'), 'cache': cache, 'cache_file': cache_file,
            'reference': reference,
            'originals': {p: open(p, 'rb').read() for p in (
                cache_file, str(run / 'meanstd.npz'), str(run / 'Model_epoch6.params'))}}


@settings(max_examples=FLIPS, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(['cache', 'stats', 'params']), st.floats(0, 1, exclude_max=True),
       st.integers(1, 255))
def test_flipped_bytes_give_the_right_arrays_or_a_project_error(flip_targets, which, where, bit):
    from lib.data.dataset import load_subjects
    from lib.infer.lifter import Lifter
    path = {'cache': flip_targets['cache_file'], 'stats': str(flip_targets['run'] / 'meanstd.npz'),
            'params': str(flip_targets['run'] / 'Model_epoch6.params')}[which]
    original = flip_targets['originals'][path]
    raw = bytearray(original)
    raw[int(where * len(raw))] ^= bit
    with open(path, 'wb') as f:
        f.write(bytes(raw))
    try:
        if which == 'cache':
            # Whatever the damage, the cache is rebuilt and the arrays are right.
            data = load_subjects(flip_targets['data'], [9], cache_dir=flip_targets['cache'])
            for k, v in flip_targets['reference'].items():
                np.testing.assert_array_equal(data[k], v)
        else:
            with pytest.raises(PoseError) as caught:
                Lifter.load(str(flip_targets['run'] / 'Model_epoch6.params'))
            assert '\n' not in str(caught.value)
    finally:
        with open(path, 'wb') as f:
            f.write(original)


class RunsCode:
    """A pickled object that would create a file when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ('touch %s' % self.marker,))


def test_a_pickle_that_runs_code_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / 'pwned'
    for key in ('positions_3d', 'positions_2d'):
        path = tmp_path / ('%s.npz' % key)
        np.savez(path, **{key: np.array({'S9': {'Walking': RunsCode(marker)}}, dtype=object)})
        with pytest.raises(PoseError, match='holds more than plain data'):
            load_pickled_npz(str(path), key)
        assert not marker.exists()


def test_a_detections_file_that_runs_code_is_refused_through_test_2d(tmp_path, small_dataset):
    """Reachable from the annotation source through DATASET.test_2d: refused, nothing run."""
    marker = tmp_path / 'pwned'
    data = tmp_path / 'data'
    shutil.copytree(small_dataset, data)
    np.savez(data / 'data_2d_h36m_evil.npz',
             positions_2d=np.array({'S9': RunsCode(marker)}, dtype=object))
    cfg = default_config().DATASET
    with pytest.raises(PoseError, match='data_2d_h36m_evil.npz: positions_2d holds more than'):
        load_dataset(str(data), [9], cfg, input_2d='evil')
    assert not marker.exists()


def test_numpy_2_files_are_read_as_plain_data(tmp_path):
    """A VideoPose3D file pickled under numpy 2 names numpy._core: read all the same."""
    path = tmp_path / 'a.npz'
    np.savez(path, positions_3d=np.array({'S1': {'Walking': np.ones((2, 32, 3))}}, dtype=object))
    import zipfile
    with zipfile.ZipFile(path) as z:
        raw = z.read('positions_3d.npy')
    raw = raw.replace(b'numpy.core.multiarray', b'numpy._core.multiarray')
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('positions_3d.npy', raw)
    value = load_pickled_npz(str(path), 'positions_3d')
    np.testing.assert_array_equal(value['S1']['Walking'], np.ones((2, 32, 3)))


def test_cameras_are_checked_whatever_file_they_come_from(tmp_path):
    cams = load_h36m_cameras(DEFAULT_CAMERAS)
    bent = {9: [dict(c) for c in cams[9]]}
    bent[9][1]['R'] = bent[9][1]['R'] * 1.5
    with pytest.raises(PoseError, match='subject 9 camera 2: R is not a rotation'):
        check_cameras(bent, 'x')
    negative = {9: [dict(c) for c in cams[9]]}
    negative[9][2]['f'] = -negative[9][2]['f']
    with pytest.raises(PoseError, match='subject 9 camera 3: the focal lengths'):
        check_cameras(negative, 'x')
    raw = json.load(open(DEFAULT_CAMERAS))
    raw['intrinsic'] = raw['intrinsic'][:3]
    path = tmp_path / 'three.json'
    path.write_text(json.dumps(raw))
    with pytest.raises(PoseError, match='3 cameras under "intrinsic", expected the 4'):
        load_cameras(str(path))
    from lib.data.cameras import save_cameras_h5
    save_cameras_h5(negative, str(tmp_path / 'neg.h5'))
    with pytest.raises(PoseError, match='neg.h5: subject 9 camera 3: the focal lengths'):
        load_cameras(str(tmp_path / 'neg.h5'))


def _vp3d(tmp_path, name, positions, metadata=None):
    arrays = {'positions_3d' if name == '3d' else 'positions_2d': np.array(positions, dtype=object)}
    if metadata is not None:
        arrays['metadata'] = np.array(metadata, dtype=object)
    np.savez(tmp_path / ('data_3d_h36m.npz' if name == '3d' else 'data_2d_h36m_%s.npz' % name),
             **arrays)


@pytest.mark.parametrize('positions, message', [
    ({'S9': [np.zeros((2, 32, 3))]}, 'S9 is a list, expected a dict of recordings'),
    ({'S9': {'Walking': 'not poses'}}, 'S9 Walking: a str, expected an array'),
    ({'S9': {3: np.zeros((2, 32, 3))}}, '3 is not a Human3.6M action name'),
    ({'S9': {'Walking': np.zeros((2, 96))}}, 'S9 Walking: shape (2, 96), expected (N, 32, 3)'),
    ({'S9': {'Walking': np.full((2, 32, 3), np.nan)}}, 'S9 Walking: NaN or infinity'),
])
def test_videopose3d_files_of_the_wrong_structure(tmp_path, positions, message):
    _vp3d(tmp_path, '3d', positions)
    with pytest.raises(PoseError) as e:
        load_dataset(str(tmp_path), [9], _dataset_cfg('videopose3d'))
    assert message in str(e.value)


def _dataset_cfg(source):
    cfg = default_config().DATASET
    cfg.source, cfg.cache = source, False
    return cfg


def test_detection_files_of_the_wrong_structure(tmp_path):
    synthetic.generate(str(tmp_path), frames=4, seed=0, subjects=[9], formats=('videopose3d',))
    cases = [({'S9': {'Walking': {'a': 1}}}, {'layout_name': 'h36m', 'num_joints': 17},
              'S9 Walking is a dict, expected a list of 4 cameras'),
             ({'S9': {}}, {'layout_name': 'h36m', 'num_joints': 'seventeen'},
              "metadata num_joints is 'seventeen', expected a whole number")]
    for positions, metadata, message in cases:
        _vp3d(tmp_path, 'bad', positions, metadata)
        with pytest.raises(PoseError) as e:
            load_dataset(str(tmp_path), [9], _dataset_cfg('videopose3d'), input_2d='bad')
        assert message in str(e.value)


def test_an_h5_whose_poses_are_a_group_or_transposed(tmp_path):
    import h5py
    synthetic.generate(str(tmp_path), frames=4, seed=0, subjects=[9], formats=('h5',))
    path = tmp_path / 'S9' / 'MyPoses' / '3D_positions' / 'Walking.h5'
    with h5py.File(path, 'w') as f:
        f.create_group('3D_positions')
    with pytest.raises(PoseError, match='Walking.h5: 3D_positions is a group'):
        load_dataset(str(tmp_path), [9], _dataset_cfg('h5'))
    with h5py.File(path, 'w') as f:
        f['3D_positions'] = np.zeros((4, 96))
    with pytest.raises(PoseError, match=r'3D_positions has shape \(4, 96\), expected \(96, N\)'):
        load_dataset(str(tmp_path), [9], _dataset_cfg('h5'))


def test_a_fifo_is_not_called_a_link(tmp_path, small_dataset):
    data = tmp_path / 'data'
    shutil.copytree(small_dataset, data)
    path = data / 'annot' / 's_09_act_02_subact_01_ca_01' / 'matlab_meta.txt'
    os.remove(path)
    os.mkfifo(path)
    with pytest.raises(PoseError, match='not a readable file \\(a device, FIFO or socket\\)'):
        load_dataset(str(data), [9], _dataset_cfg('annot'))


@pytest.mark.parametrize('text, message', [
    ('a: &a ["x", "x"]\n' + ''.join('%s: &%s [%s]\n' % (k, k, ', '.join(['*' + p] * 2))
                                    for p, k in zip('abcdefghijklmnop', 'bcdefghijklmnopq')),
     'more than 20 aliases'),
    ('[' * 5000 + ']' * 5000, 'nested deeper than 20 levels'),
])
def test_yaml_bombs_are_refused_fast(tmp_path, text, message):
    path = write_yaml(tmp_path / 'bomb.yaml', text)
    start = time.time()
    with pytest.raises(PoseError, match=message):
        load_config(path)
    assert time.time() - start < 5


def test_messages_name_the_right_file_and_fault(tmp_path):
    """A short Stacked Hourglass file of camera 3 is named by its own path; unreadable metadata
    is reported as unreadable, not read as the default layout."""
    import h5py
    synthetic.generate(str(tmp_path), frames=6, seed=0, subjects=[9], formats=('orig',))
    cfg = _dataset_cfg('h5')
    cfg.cameras = 'cameras.h5'
    short = tmp_path / 'S9' / 'StackedHourglass' / 'Walking.58860488.h5'
    with h5py.File(short, 'w') as f:
        f['poses'] = np.zeros((2, 16, 2))
    with pytest.raises(PoseError) as e:
        load_dataset(str(tmp_path), [9], cfg, input_2d='sh')
    assert str(e.value).startswith(str(short)) and 'camera 3: 2 frames, shorter' in str(e.value)
    positions = {'S9': {}}
    np.savez(tmp_path / 'data_2d_h36m_meta.npz', positions_2d=np.array(positions, dtype=object),
             metadata=np.array([1, 2, 3]))
    with pytest.raises(PoseError, match='metadata is not a dict'):
        load_dataset(str(tmp_path), [9], cfg, input_2d='meta')
