"""A folder of motion capture (BVH, ASF/AMC, CMU exponential-map text, in any sub-folders) as
the dataset arrays: each take read as Human3.6M joints (lib.data.mocap.take), labelled with its
performer and motion class, and filmed by virtual cameras (lib.data.mocap.virtual_cameras).

The performer and the class of a file, the first rule that applies:
  1. the folder's takes.tsv names the file (columns file, performer, class, rate; see
     doc/data.md, "Motion capture");
  2. HDM05's names  HDM_<actor>_<class>_<nnn>_<rate>.amc  -> performer HDM_<actor>, the class
     and the rate of the name;
  3. CMU's names    <subject>_<trial>[-<label>].amc or .bvh  -> performer <subject>, class
     <label> ('unlabelled' without one);
  4. otherwise the performer is the name of the folder holding the file, class 'unlabelled'.
Its source (the lab or set it comes from, for splits by source): the source column of
takes.tsv, else 'HDM05' for HDM05's names, 'CMU' for CMU's, else the first folder of its path
inside the folder ('.' for a file at the top).
Ids: performers and classes are numbered 1.. in sorted order over the whole folder (so that
every split shares them), a take is the subaction (1.. within its performer and class), a
camera 1.. of its views.
"""
import csv
import logging
import os
import re
import zlib
from collections import namedtuple

import numpy as np

from lib.core.errors import PoseError
from lib.core.files import option_file
from lib.data.arrays import assemble, camera_view
from lib.data.cameras import load_cameras
from lib.data.mocap.cmu_expmap import looks_like_expmap
from lib.data.mocap.joints import read_joint_map
from lib.data.mocap.bodies import PLACEMENTS, draw_body, joint_bias, reshape
from lib.data.mocap.take import read_take
from lib.data.mocap.virtual_cameras import centred, random_cameras, too_near

log = logging.getLogger(__name__)

INDEX_FILE = 'takes.tsv'
EXTENSIONS = ('.bvh', '.amc')
UNLABELLED = 'unlabelled'
HDM05_NAME = re.compile(r'^HDM_([A-Za-z0-9]+)_(.+)_(\d+)_(\d+)$')
CMU_NAME = re.compile(r'^(\d+)_(\d+)(?:-(.+))?$')

# One motion file: path, name (relative to the folder, '/'-separated), performer, label
# (motion class), rate (Hz, or None: the file's own), source.
TakeFile = namedtuple('TakeFile', 'path name performer label rate source')
INDEX_COLUMNS = ('file', 'performer', 'class', 'rate', 'source')


def read_index(root):
    """{relative file name: {'performer', 'class', 'rate', 'source'}} of ROOT/takes.tsv
    (tab-separated, a header line naming the columns: file and any of performer, class, rate,
    source; '#' lines are comments); {} without the file."""
    path = os.path.join(root, INDEX_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path, newline='', encoding='utf-8', errors='replace') as f:
        lines = [(n, line) for n, line in enumerate(f, start=1)
                 if line.strip() and not line.startswith('#')]
    rows = list(csv.reader([line for _, line in lines], delimiter='\t'))
    if not rows or 'file' not in rows[0] or not set(rows[0]) <= set(INDEX_COLUMNS):
        raise PoseError('%s: expected a header line of tab-separated columns: file and any of '
                        '%s' % (path, ', '.join(INDEX_COLUMNS[1:])))
    out = {}
    for (line, _), row in zip(lines[1:], rows[1:]):
        entry = dict(zip(rows[0], (v.strip() for v in row)))
        if len(row) != len(rows[0]) or not entry['file']:
            raise PoseError('%s line %d: expected %d tab-separated values' % (path, line,
                                                                          len(rows[0])))
        if entry.get('rate'):
            try:
                entry['rate'] = float(entry['rate'])
            except ValueError:
                entry['rate'] = -1.0
            if not 1 <= entry['rate'] <= 1000:
                raise PoseError('%s line %d: rate %r: expected frames a second in [1, 1000]'
                                % (path, line, row[rows[0].index('rate')]))
        name = entry.pop('file').replace(os.sep, '/')
        if name in out:
            raise PoseError('%s line %d: %s is listed twice' % (path, line, name))
        out[name] = entry
    return out


def label_take(name, index):
    """(performer, class, rate or None, source) of the file `name` (relative to the folder) by
    the rules of this module's docstring."""
    stem = os.path.splitext(os.path.basename(name))[0]
    folder = os.path.basename(os.path.dirname(name)) or '.'
    hdm, cmu = HDM05_NAME.match(stem), CMU_NAME.match(stem)
    if hdm:
        performer, label, rate = 'HDM_' + hdm.group(1), hdm.group(2), float(hdm.group(4))
        source = 'HDM05'
    elif cmu:
        performer, label, rate, source = cmu.group(1), cmu.group(3) or UNLABELLED, None, 'CMU'
    else:
        performer, label, rate = folder, UNLABELLED, None
        source = name.split('/')[0] if '/' in name else '.'
    given = index.get(name, {})
    return (given.get('performer') or performer, given.get('class') or label,
            given.get('rate') or rate, given.get('source') or source)


def list_takes(root):
    """Every .bvh, .amc and CMU exponential-map .txt file under `root` as TakeFile, sorted by
    name."""
    if not os.path.isdir(root):
        raise PoseError('%s: not a folder of motion capture' % root)
    index = read_index(root)
    found = sorted(os.path.relpath(os.path.join(d, f), root).replace(os.sep, '/')
                   for d, _, files in os.walk(root) for f in files
                   if os.path.splitext(f)[1].lower() in EXTENSIONS + ('.txt',))
    # A .txt file is a take when its first line is CMU exponential maps; others (notes, read-me
    # files) are left out, and said so.
    names = [n for n in found if not n.lower().endswith('.txt')
             or looks_like_expmap(os.path.join(root, n))]
    if len(names) < len(found):
        log.info('%s: left out %d .txt file(s) that are not exponential-map motion, e.g. %s',
                 root, len(found) - len(names), sorted(set(found) - set(names))[0])
    if not names:
        raise PoseError('%s: no .bvh, .amc or exponential-map .txt files in it or its '
                        'sub-folders' % root)
    unknown = sorted(set(index) - set(names))
    if unknown:
        raise PoseError('%s: names %s, which is not a motion file of the folder'
                        % (os.path.join(root, INDEX_FILE), unknown[0]))
    return [TakeFile(os.path.join(root, n), n, *label_take(n, index)) for n in names]


def split_takes(takes, dataset_cfg, split):
    """The takes of `split` ('test': those of the performers of DATASET.mocap_test and of the
    sources of DATASET.mocap_test_sources; 'train': the others), a PoseError for a performer or
    a source the folder does not have, or an empty split."""
    test_performers, test_sources = dataset_cfg.mocap_test, dataset_cfg.mocap_test_sources
    for key, asked, kind, have in (
            ('mocap_test', test_performers, 'performer', sorted({t.performer for t in takes})),
            ('mocap_test_sources', test_sources, 'source', sorted({t.source for t in takes}))):
        unknown = [p for p in asked if p not in have]
        if unknown:
            raise PoseError('DATASET.%s: no %s %s in the folder (it has %s)'
                            % (key, kind, unknown[0], ', '.join(have)))
    held_out = [t.performer in test_performers or t.source in test_sources for t in takes]
    chosen = [t for t, out in zip(takes, held_out) if out == (split == 'test')]
    if not chosen:
        raise PoseError('DATASET.mocap_test %s and mocap_test_sources %s leave no %s take (the '
                        'folder has performers %s and sources %s)'
                        % (list(test_performers), list(test_sources), split,
                           ', '.join(sorted({t.performer for t in takes})),
                           ', '.join(sorted({t.source for t in takes}))))
    return chosen


def take_seed(name):
    """The seed of a take's random cameras: from its name only, so that adding files to the
    folder does not move the cameras of the others."""
    return zlib.crc32(name.encode('utf-8'))


def _views(take, world, dataset_cfg, h36m_cams):
    """[(camera, world poses)] of one take for DATASET.mocap_cameras: Human3.6M's four (of a
    subject chosen by the take's name) first for 'h36m' and 'mixed', then the random ones for
    'random' and 'mixed'."""
    views = []
    if dataset_cfg.mocap_cameras in ('h36m', 'mixed'):
        subject = sorted(h36m_cams)[take_seed(take.name) % len(h36m_cams)]
        moved = centred(world)
        views += [(cam, moved) for cam in h36m_cams[subject]]
    if dataset_cfg.mocap_cameras in ('random', 'mixed'):
        views += [(cam, world) for cam in random_cameras(world, dataset_cfg.mocap_views,
                                                         take_seed(take.name))]
    return views


# The random streams of a view, beside its cameras': its body and its joints' 2D offsets.
BODY_STREAM, BIAS_STREAM = 1, 2


def _body(world, take, camera, dataset_cfg, split):
    """The world poses of one view (camera number `camera`) of a take: for the test split, with
    the joints placed as DATASET.mocap_test_placement defines them; for the training split, a
    body of its own (lib.data.mocap.bodies.draw_body, drawn from the take and the camera: its
    placement, its proportions or both, DATASET.mocap_bodies); else as captured."""
    if split == 'test':
        placement = dataset_cfg.mocap_test_placement
        return world if placement == 'captured' else reshape(world, PLACEMENTS[placement])
    if dataset_cfg.mocap_bodies != 'captured':
        rng = np.random.default_rng([take_seed(take.name), camera, BODY_STREAM])
        return reshape(world, draw_body(rng, dataset_cfg.mocap_bodies))
    return world


def load_mocap(root, takes, split, dataset_cfg, cameras_path, progress=None):
    """Arrays (lib.data.arrays, with rec_ids, rec_names and the names of the performers and
    classes) of the `split` ('train' or 'test') of the motion-capture folder `root` whose
    takes are `takes` (list_takes), filmed by the cameras of DATASET.mocap_cameras (Human3.6M's
    from `cameras_path`, or random ones), each view with its body (_body) and, in training, the
    2D offsets of DATASET.mocap_joint_bias. A view with a joint nearer than 1 m to its camera is
    left out (data['left_out'])."""
    performers = sorted({t.performer for t in takes})
    labels = sorted({t.label for t in takes})
    chosen = split_takes(takes, dataset_cfg, split)
    views, left_out, rec_ids = _film_takes(root, chosen, performers, labels, dataset_cfg,
                                           cameras_path, split, progress)
    bias = dataset_cfg.mocap_joint_bias if split == 'train' else 0.0
    data = assemble([len(v[1]) for v in views], np.array([v[0] for v in views]),
                    _projected(views, dataset_cfg, bias))
    data.update(rec_ids=np.array(rec_ids, np.int32), rec_names=np.array([t.name for t in chosen]),
                subject_names=np.array([''] + performers), action_names=np.array([''] + labels))
    if left_out:
        log.warning('%s: left out %d view(s) with a joint within 1 m of the camera, e.g. %s '
                    'camera %d', root, len(left_out), left_out[0]['recording'],
                    left_out[0]['camera'])
        data['left_out'] = left_out
    return data


def _film_takes(root, chosen, performers, labels, dataset_cfg, cameras_path, split, progress):
    """Each chosen take read and seen by its cameras, with its body: views [((s, a, u, c),
    world poses (F, 17, 3) mm, camera, take name)], the views left out for a joint within 1 m
    of the camera, and the recordings' (s, a, u)."""
    joint_map = joint_map_of(dataset_cfg, root)
    h36m_cams = load_cameras(cameras_path) if cameras_path else None
    views, left_out, rec_ids, numbers = [], [], [], {}
    for take in (progress(chosen) if progress else chosen):
        world = read_take(take.path, rate=take.rate, joints=joint_map).poses
        s, a = performers.index(take.performer) + 1, labels.index(take.label) + 1
        numbers[s, a] = u = numbers.get((s, a), 0) + 1
        rec_ids.append((s, a, u))
        for c, (cam, seen) in enumerate(_views(take, world, dataset_cfg, h36m_cams), start=1):
            seen = _body(seen, take, c, dataset_cfg, split)
            if too_near(seen, cam):
                left_out.append({'subject': s, 'recording': take.name, 'camera': c,
                                 'frames': len(seen)})
                continue
            views.append(((s, a, u, c), seen, cam, take.name))
    if not views:
        raise PoseError('%s: every view of the %s takes is left out (a joint within 1 m of the '
                        'camera)' % (root, split))
    return views, left_out, rec_ids


def _projected(views, dataset_cfg, bias):
    """Each view's (3D in the camera mm, 2D px with its joint bias, camera centre), in order."""
    for ids, seen, cam, name in views:
        try:
            pose3d, pose2d = camera_view(seen, cam, dataset_cfg.distortion)
        except PoseError as e:
            raise PoseError('%s camera %d: %s' % (name, ids[3], e))
        rng = np.random.default_rng([take_seed(name), ids[3], BIAS_STREAM])
        yield pose3d, joint_bias(pose2d, bias, rng), cam['c'].astype(np.float32)


def joint_map_file(dataset_cfg, root):
    """The file of DATASET.mocap_joints (looked up from the working folder, then inside the
    folder of motion capture), or None when the option is empty."""
    option = dataset_cfg.get('mocap_joints', '')
    if not option:
        return None
    return option_file('DATASET.mocap_joints', option, root)


def joint_map_of(dataset_cfg, root):
    """The mapping of DATASET.mocap_joints (lib.data.mocap.joints.read_joint_map), or None."""
    path = joint_map_file(dataset_cfg, root)
    return read_joint_map(path) if path else None


def mocap_files(root, takes):
    """The files the arrays depend on (for the cache key): every take and the index."""
    index = os.path.join(root, INDEX_FILE)
    return [t.path for t in takes] + ([index] if os.path.isfile(index) else [])

