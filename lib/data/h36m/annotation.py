"""The seed's annotation folders: annot/s_SS_act_AA_subact_UU_ca_CC/matlab_meta.txt.

Line 1 the frame count, lines 2-8 the image size and the camera (R, T, f, c, k, p), line 9 the
17 joint indices among the 32, then one labelled line of 32 world joints (mm) per frame
(doc/data.md). parse_annotation reads one file and names the file and line of anything
malformed; parse_subjects reads many in a pool of processes into the dataset arrays
(lib.data.arrays); write_annotation writes one (for the synthetic set).
"""
import io
import multiprocessing
import os
import signal
import warnings

import numpy as np

from lib.core import h36m
from lib.core.errors import PoseError
from lib.core.files import atomic_path, not_a_file
from lib.core.h36m import ACTION_IDS, CAMERAS, NUM_JOINTS, NUM_JOINTS_32, SUBACTIONS
from lib.data.arrays import RECORDING, assemble, camera_view

HEADER_LINES = 9


def folder_name(subject, action, subaction, camera):
    """Name of one annotation folder, e.g. s_09_act_02_subact_01_ca_03."""
    return 's_%02d_act_%02d_subact_%02d_ca_%02d' % (subject, action, subaction, camera)


def all_folders(subjects):
    """Folder names and their ids (n, 4) int: subject, action, subaction, camera."""
    ids = [(s, a, u, c) for s in subjects for a in ACTION_IDS for u in SUBACTIONS for c in CAMERAS]
    return [folder_name(*i) for i in ids], np.array(ids, dtype=np.int64).reshape(-1, 4)


# The labels of header lines 3-9. Files label lines as they like, but a line that carries the
# label of another header line is a swap, which would silently give wrong 2D.
HEADER_LABELS = {2: 'r', 3: 't', 4: 'f', 5: 'c', 6: 'k', 7: 'p', 8: 'joints'}


def _numbers(line, lineno, count, path, integer=False):
    """The exactly `count` numbers after the label token of one header line."""
    tokens = line.split()
    if len(tokens) != count + 1:
        raise PoseError('%s line %d: expected a label and %d numbers, found %d tokens'
                        % (path, lineno + 1, count, len(tokens)))
    label = tokens[0].lower()
    others = {v: k for k, v in HEADER_LABELS.items() if k != lineno}
    if label in others:
        raise PoseError('%s line %d: labelled %r, the label of line %d (lines swapped?)'
                        % (path, lineno + 1, tokens[0], others[label] + 1))
    if _all_numbers([label]):
        raise PoseError('%s line %d: expected a label before the numbers' % (path, lineno + 1))
    try:
        values = np.array([float(t) for t in tokens[1:count + 1]])
    except ValueError:
        raise PoseError('%s line %d: expected %d numbers after the label, got %r'
                        % (path, lineno + 1, count, ' '.join(tokens[1:count + 1])))
    if not np.all(np.isfinite(values)):
        raise PoseError('%s line %d: NaN or infinity among the numbers' % (path, lineno + 1))
    if integer:
        if np.any(values != np.round(values)):
            raise PoseError('%s line %d: expected whole numbers' % (path, lineno + 1))
        return values.astype(np.int64)
    return values


MAX_FRAMES = 10 ** 7    # Human3.6M's longest recording has about 7,000 frames


def _frame_count(line, path):
    """Line 1 of an annotation file: the number of frames, 0 <= N <= MAX_FRAMES."""
    try:
        n = int(line.strip())
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_FRAMES:
        raise PoseError('%s line 1: expected the number of frames (0 to %d), got %r'
                        % (path, MAX_FRAMES, line.strip()[:40]))
    return n


def _read_text(path, first_line_only=False):
    try:
        with open(path, 'r') as f:
            return f.readline() if first_line_only else f.read()
    except OSError as e:
        raise PoseError('%s: cannot read (%s)' % (path, e.strerror))
    except UnicodeDecodeError:
        raise PoseError('%s: not a text file' % path)


def read_frame_count(path):
    """The frame count of an annotation file, from its first line alone (to size arrays)."""
    return _frame_count(_read_text(path, first_line_only=True), path)


def parse_annotation(path):
    """Read one matlab_meta.txt.

    Returns a dict: 'width', 'height' (pixels), 'R' (3, 3) world->camera, 'T' (3,) camera
    position in world mm, 'f' (2,), 'c' (2,) pixels, 'k' (3,), 'p' (2,) distortion,
    'joints' (17,) zero-based indices into the 32, 'poses' (N, 32, 3) float64 world mm.
    Raises PoseError naming the file and line for anything malformed.
    """
    lines = _read_text(path).split('\n', HEADER_LINES)
    if len(lines) < HEADER_LINES:
        raise PoseError('%s: expected %d header lines, found %d'
                        % (path, HEADER_LINES, len(lines)))
    n = _frame_count(lines[0], path)
    width, height = _numbers(lines[1], 1, 2, path)
    rot = _numbers(lines[2], 2, 9, path).reshape(3, 3).T
    trans = _numbers(lines[3], 3, 3, path)
    focal = _numbers(lines[4], 4, 2, path)
    centre = _numbers(lines[5], 5, 2, path)
    radial = _numbers(lines[6], 6, 3, path)
    tangential = _numbers(lines[7], 7, 2, path)
    joints = _numbers(lines[8], 8, NUM_JOINTS, path, integer=True)
    if joints.min() < 1 or joints.max() > NUM_JOINTS_32 or len(set(joints)) != NUM_JOINTS:
        raise PoseError('%s line 9: expected %d distinct joint indices in 1..%d'
                        % (path, NUM_JOINTS, NUM_JOINTS_32))
    if not (width > 0 and height > 0 and np.all(focal > 0)):
        raise PoseError('%s lines 2 and 5: the image size and the focal lengths must be > 0'
                        % path)
    if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-3):
        raise PoseError('%s line 3: not a rotation matrix (R R^T is not the identity)' % path)
    body = lines[HEADER_LINES] if len(lines) > HEADER_LINES else ''
    poses = _parse_pose_lines(body, n, path)
    return {'width': width, 'height': height, 'R': rot, 'T': trans, 'f': focal, 'c': centre,
            'k': radial, 'p': tangential, 'joints': joints - 1, 'poses': poses}


def _parse_pose_lines(body, n, path):
    """N lines of a label and 96 numbers -> (N, 32, 3) float64.

    numpy's C parser reads the numbers (the label column skipped); a whitespace-token count
    over the raw bytes checks that every line has exactly a label and 96 numbers. Only when
    something is wrong are the lines walked one by one, to name the first bad one."""
    width = 3 * NUM_JOINTS_32 + 1
    rows = None
    try:
        raw = np.frombuffer(body.encode('ascii'), dtype=np.uint8)
    except UnicodeEncodeError:
        _raise_bad_row(body.split('\n'), path, lambda r: not r.isascii(), 'expected plain ASCII text')
    space = raw <= 32
    tokens = int(np.count_nonzero(space[:-1] & ~space[1:])) + int(raw.size > 0 and not space[0])
    values = None
    if tokens == n * width:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')       # numpy's note on blank lines
                values = np.loadtxt(io.StringIO(body), dtype=np.float64, comments=None,
                                    usecols=range(1, width), max_rows=n, ndmin=2)
        except ValueError:
            values = None
    if values is None or values.shape != (n, width - 1):
        rows = body.split('\n')
        found = sum(1 for r in rows if r.strip())
        if found != n:
            raise PoseError('%s: line 1 announces %d frames, found %d pose lines'
                            % (path, n, found))
        _raise_bad_row(rows, path, lambda r: r.strip() and len(r.split()) != width,
                       'expected a label and %d numbers' % (width - 1))
        _raise_bad_row(rows, path, lambda r: r.strip() and not _all_numbers(r.split()[1:]),
                       'expected %d numbers after the label' % (width - 1))
        raise PoseError('%s: malformed pose lines' % path)
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(values), axis=1))[0])
        raise PoseError('%s line %d: NaN or infinity in a pose' % (path, HEADER_LINES + bad + 1))
    return values.reshape(n, NUM_JOINTS_32, 3)


def _all_numbers(tokens):
    try:
        [float(t) for t in tokens]
    except ValueError:
        return False
    return True


def _raise_bad_row(rows, path, is_bad, expected):
    """Raise PoseError naming the first pose line for which is_bad holds, if there is one
    (only on the error path)."""
    for i, row in enumerate(rows):
        if is_bad(row):
            raise PoseError('%s line %d: %s' % (path, HEADER_LINES + i + 1, expected))


def annotation_path(dataset_root, folder):
    return os.path.join(dataset_root, 'annot', folder, 'matlab_meta.txt')


def list_sources(dataset_root, subjects):
    """Paths of the annotation files of `subjects` and their ids (n, 4); raises on missing ones."""
    folders, ids = all_folders(subjects)
    paths = [annotation_path(dataset_root, f) for f in folders]
    for f, p in zip(folders, paths):
        kind = not_a_file(p)
        if kind:
            raise PoseError('%s: not a readable file (%s)' % (p, kind))
    missing = [f for f, p in zip(folders, paths) if not os.path.isfile(p)]
    if missing:
        if not os.path.isdir(os.path.join(dataset_root, 'annot')):
            raise PoseError('%s: no annot/ folder here (expected %s/annot/s_SS_act_AA_subact_UU_'
                            'ca_CC/matlab_meta.txt; make a synthetic set with python '
                            'tools/synthetic.py %s)' % (dataset_root, dataset_root, dataset_root))
        shown = ', '.join(missing[:5]) + (', ...' if len(missing) > 5 else '')
        raise PoseError('%s/annot: %d of %d annotation folders missing for subjects %s: %s'
                        % (dataset_root, len(missing), len(folders), list(subjects), shown))
    return paths, ids


def _ignore_interrupts():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parse_file(job):
    """One annotation file -> (pose3d (N,17,3), pose2d (N,17,2), centre (2,)) float32.
    Runs in worker processes: plain numpy, no MXNet."""
    path, distortion = job
    annotation = parse_annotation(path)
    camera = {k: annotation[k] for k in ('R', 'T', 'f', 'c', 'k', 'p')}
    try:
        cam, uv = camera_view(annotation['poses'][:, annotation['joints']], camera, distortion,
                              HEADER_LINES + 1)
    except PoseError as e:
        raise PoseError('%s %s' % (path, e))
    return cam, uv, annotation['c'].astype(np.float32)


def parse_subjects(paths, ids, distortion, progress=None, workers=None):
    """Parse the annotation files and assemble their arrays (lib.data.arrays). The arrays are sized
    from the files' first lines and filled in place. With workers > 1 the files are parsed by a
    pool of processes (default: one per core)."""
    counts = [read_frame_count(p) for p in paths]
    jobs = [(p, distortion) for p in paths]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    # The workers ignore Ctrl-C: the parent alone gets it, ends the pool and reports it once.
    pool = (multiprocessing.get_context('fork').Pool(workers, initializer=_ignore_interrupts)
            if workers > 1 else None)
    try:
        views = pool.imap(_parse_file, jobs, chunksize=2) if pool else map(_parse_file, jobs)
        data = assemble(counts, ids, views, progress)
    finally:
        if pool:
            pool.terminate()
    # The folders name no recording: subactions are numbers only.
    data['rec_ids'] = np.unique(np.asarray(ids)[:, RECORDING], axis=0).astype(np.int32)
    data['rec_names'] = np.array([''] * len(data['rec_ids']))
    return data


def write_annotation(path, poses, camera):
    """Write one matlab_meta.txt (doc/data.md) atomically."""
    n = poses.shape[0]
    fmt = lambda v: ' '.join('%.10g' % x for x in np.ravel(v))
    header = [
        '%d' % n,
        'resolution %d %d' % (camera['width'], camera['height']),
        'R ' + fmt(camera['R'].T),            # stored so that reshape(3,3).T is R
        'T ' + fmt(camera['T']),
        'f ' + fmt(camera['f']),
        'c ' + fmt(camera['c']),
        'k ' + fmt(camera['k']),
        'p ' + fmt(camera['p']),
        'joints ' + ' '.join(str(j) for j in h36m.JOINTS_17_OF_32),
    ]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.write('\n'.join(header) + '\n')
        np.savetxt(f, poses.reshape(n, -1), fmt='pose ' + ' '.join(['%.3f'] * 96))
