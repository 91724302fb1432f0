"""From a keypoint file to 3D poses: the one inference path (Lifter.lift_file, infer.py).

read the file (detector_files) -> order its frames and track its people (tracking) -> map
each track to the 17 Human3.6M joints (lib.core.layouts) -> fill missing joints, leave out
frames with too many (missing_joints) or whose pose no human makes (plausibility) -> rescale to
the training pixel space (lib.codec) -> predict (the Lifter) -> smooth over time (smoothing).
The result, a LiftResult, holds everything infer.py writes; infer.py itself only writes it.
"""
import logging
import os

import numpy as np

from lib.codec import rescale_to_training
from lib.core import h36m
from lib.core.errors import PoseError
from lib.infer.bvh_export import write_track
from lib.infer.detector_files import read_keypoint_file
from lib.infer.lift_page import write_lift_page
from lib.infer.missing_joints import prepare_track
from lib.infer.options import LiftOptions
from lib.infer.plausibility import implausible_2d, implausible_3d
from lib.infer.smoothing import smooth_track
from lib.infer.tracking import assign_tracks, describe_tracks, ordered_frames

log = logging.getLogger(__name__)


class LiftedPerson:
    """One tracked person. id: the file's track id or the tracker's number; rows (K,) the
    indices of the frames lifted (into LiftResult.labels); pose2d (K, 17, 2) the 2D with its
    missing joints filled, detector pixels; pose3d (K, 17, 3) mm, camera frame, pelvis at 0;
    filled {row: names of the joints filled}; left_out [(row, reason)]; jitter None, or the
    mean second difference (mm per frame^2) before and after smoothing."""

    def __init__(self, person_id, rows, pose2d, pose3d, filled, left_out, jitter=None):
        self.id = person_id if isinstance(person_id, int) else str(person_id)
        self.rows, self.pose2d, self.pose3d = rows, pose2d, pose3d
        self.filled, self.left_out, self.jitter = filled, left_out, jitter

    def to_json(self, labels):
        """The person as infer.py's JSON writes it (poses rounded to 0.01 mm)."""
        out = {'id': self.id}
        if self.jitter is not None:
            out['jitter_mm_per_frame2'] = {'before': round(self.jitter[0], 3),
                                           'after': round(self.jitter[1], 3)}
        out['frames'] = [{'index': int(r), 'image': labels[r], 'pose3d': np.round(p, 2).tolist(),
                          'filled_joints': self.filled.get(int(r), [])}
                         for r, p in zip(self.rows, self.pose3d)]
        out['left_out'] = [{'index': int(r), 'image': labels[r], 'reason': reason}
                           for r, reason in self.left_out]
        return out


class LiftResult:
    """A lifted keypoint file. kind and layout: what the file was read as; labels: the image id
    or file name of every frame, in order; empty: the labels of frames without a person;
    people: [LiftedPerson]; rescaled: whether the 2D was moved to the training pixel space;
    options: the settings it was lifted with."""

    def __init__(self, kind, layout, labels, empty, people, rescaled, options):
        self.kind, self.layout, self.labels, self.empty = kind, layout, labels, empty
        self.people, self.rescaled, self.options = people, rescaled, options

    def stacked(self):
        """(people, frames, 17, 3) float32 mm; NaN where a person is absent or left out."""
        out = np.full((len(self.people), len(self.labels), h36m.NUM_JOINTS, 3), np.nan,
                      np.float32)
        for k, person in enumerate(self.people):
            out[k, person.rows] = person.pose3d
        return out

    def bvh_paths(self, path):
        """{person id: file} of to_bvh: the longest track at `path`, every other one beside it
        as <stem>_person<id>.bvh."""
        if not self.people:
            return {}
        main = max(self.people, key=lambda p: len(p.rows))
        stem = path[:-len('.bvh')] if path.endswith('.bvh') else path
        return {p.id: path if p is main else '%s_person%s.bvh' % (stem, p.id)
                for p in self.people if len(p.rows)}

    def to_bvh(self, path, fps=30.0, root_motion=False, image_size=None):
        """Every lifted track as a BVH animation (lib.infer.bvh_export) at `fps` frames a
        second, over all the file's frames, at the files of bvh_paths(path). root_motion: the
        root follows the pelvis through the image of `image_size` (W, H) px (default: the
        extent of the keypoints). Returns {person id: (file, mean joint acceleration of the raw
        lift, of the written motion), mm per frame^2}."""
        if not 1 <= fps <= 1000:
            raise PoseError('fps %r: expected frames a second in [1, 1000]' % (fps,))
        if root_motion and image_size is None:
            image_size = np.max([p.pose2d.reshape(-1, 2).max(axis=0) for p in self.people
                                 if len(p.rows)], axis=0)
        out = {}
        for person in self.people:
            target = self.bvh_paths(path).get(person.id)
            if target:
                out[person.id] = (target,) + write_track(target, person, len(self.labels), fps,
                                                         image_size if root_motion else None)
        return out

    def to_html(self, path, title=None, image_size=None, fps=30.0):
        """One self-contained page to turn, play and step the lifted motion in a browser
        (lib.infer.lift_page): every person, the 2D input, the frames left out."""
        write_lift_page(path, self, title or 'lifted %s file' % self.kind, image_size, fps)

    def to_json(self, **header):
        """The JSON infer.py writes: `header` (model, input) first, then the file's kind and
        layout, the options, the conventions, the images and every person."""
        layout = self.layout if isinstance(self.layout, str) else list(self.layout)
        return dict(header, kind=self.kind, layout=layout, rescaled_2d=self.rescaled,
                    **self.options, units='mm',
                    coordinates='camera frame (x right, y down, z forward), relative to the '
                                'pelvis (Hip at 0)',
                    joint_names=list(h36m.JOINT_NAMES), images=self.labels,
                    images_without_person=self.empty,
                    people=[p.to_json(self.labels) for p in self.people])


def rescales(space, rescale, layout):
    """Whether 2D of `layout` is moved into the training pixel space: rescale 'yes'/True,
    'no'/False, or 'auto'/None (for every layout but h36m). A camera-free model takes any
    camera's pixels as they are: rescaling is moot for it."""
    if space == 'camera_free':
        return False
    return rescale in ('yes', True) or (rescale in ('auto', None) and layout != 'h36m')


def lift_track(lifter, pose2d, max_missing=4, rescale=False):
    """One person's Human3.6M-ordered 2D (F, 17, 2) px, NaN where missing, frames in time order
    -> (Track of lib.infer.missing_joints.prepare_track, pose3d (K, 17, 3) mm of its kept
    frames). Frames whose 2D or lifted 3D no human makes (lib.infer.plausibility) are left out
    with their reason, as frames missing too many joints are."""
    track = prepare_track(pose2d, max_missing)
    _leave_out(track, np.flatnonzero(track.kept), implausible_2d(track.pose2d[track.kept]))
    kept = track.pose2d[track.kept]
    if not len(kept):
        return track, np.zeros((0, h36m.NUM_JOINTS, 3), np.float32)
    net_input = rescale_to_training(kept, lifter.stats['mean2d']) if rescale else kept
    pose3d = lifter.predict(net_input)
    far = implausible_3d(pose3d)
    _leave_out(track, np.flatnonzero(track.kept), far)
    return track, np.delete(pose3d, sorted(far), axis=0)


def _leave_out(track, frames, reasons):
    """In place: the track's frames `frames[k]` for each k of `reasons` {k: reason} left out."""
    for k, reason in reasons.items():
        f = int(frames[k])
        track.kept[f] = False
        track.reasons[f] = reason
        track.filled.pop(f, None)


def lift_file(lifter, path, options=None):
    """Read, track, fill, rescale, lift and smooth a keypoint file -> LiftResult, with the
    LiftOptions `options` (lib.infer.options; default: every option's default)."""
    options = options or LiftOptions()
    path = os.fspath(path)
    detections = read_keypoint_file(path, options.layout, options.image_size)
    frames = drop_empty_detections(ordered_frames(detections), options.min_confidence, path)
    labels = [label for label, _ in frames]
    tracks = assign_tracks(frames, detections.layout, options)
    if not tracks:
        raise PoseError('%s: no person in any frame' % path)
    rescaled = rescales(lifter.space, options.rescale, detections.layout)
    log.info('%s: %s file, layout %s, %d image(s), %s', path, detections.kind,
             detections.layout if isinstance(detections.layout, str) else 'named in the file',
             len(frames), describe_tracks(tracks))
    people = [_lift_person(lifter, t, options, rescaled) for t in tracks]
    log_summary(people, labels, options.smooth)
    if not any(len(p.rows) for p in people):
        raise PoseError('%s: no frame could be lifted (every frame misses more than %d input '
                        'joints; see --max-missing and --min-confidence)'
                        % (path, options.max_missing))
    return LiftResult(detections.kind, detections.layout, labels,
                      [label for label, found in frames if not found], people, rescaled,
                      _options_record(options))


def _options_record(options):
    """The options a LiftResult says it was lifted with: the four that shape every output, and
    the tracker's when they differ from their defaults."""
    record = {'min_confidence': options.min_confidence, 'max_missing': options.max_missing,
              'person': options.person, 'smooth_sigma': options.smooth}
    changed = options.changed()
    record.update({'track_' + name: changed[name] for name in ('gate', 'max_gap')
                   if name in changed})
    return record


def _lift_person(lifter, found, options, rescale):
    """One track of assign_tracks -> LiftedPerson (smoothed when options.smooth > 0)."""
    smooth = options.smooth
    track, pose3d = lift_track(lifter, found['pose2d'], options.max_missing, rescale)
    rows = found['rows'][track.kept]
    person = LiftedPerson(found['id'], rows, track.pose2d[track.kept], pose3d,
                          {int(found['rows'][f]): names for f, names in track.filled.items()},
                          [(int(found['rows'][f]), reason)
                           for f, reason in sorted(track.reasons.items())])
    if smooth > 0 and len(rows) > 2:
        person.pose3d, before, after = smooth_track(pose3d, rows, smooth)
        person.jitter = (before, after)
    return person


def reason_kind(reason):
    """A left-out frame's reason without its particulars (which joints, how far), to count
    frames by kind: '3 of 16 input joints missing (...)' -> 'too many input joints missing'."""
    if 'input joints missing' in reason:
        return 'too many input joints missing'
    return reason.split(' (')[0].split(':')[0]


def log_summary(people, labels, smooth):
    """What the people's lifts left out, one line a kind of reason with its count of frames and
    people and a few images (the output holds every frame's own reason), and what smoothing
    did, one line for all."""
    by_kind = {}
    for person in people:
        for row, reason in person.left_out:
            by_kind.setdefault(reason_kind(reason), []).append((person.id, labels[row]))
    for kind, frames in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        images = [label for _, label in frames[:3]]
        log.warning('%d frame(s) of %d person(s) left out: %s (e.g. images %s%s)', len(frames),
                    len({who for who, _ in frames}), kind, ', '.join(map(str, images)),
                    ', ...' if len(frames) > 3 else '')
    smoothed = [p.jitter for p in people if p.jitter is not None]
    if smoothed:
        log.info('smoothing (sigma %g frames) took the mean jitter of %d person(s) from %.2f to '
                 '%.2f mm per frame^2', smooth, len(smoothed),
                 np.mean([j[0] for j in smoothed]), np.mean([j[1] for j in smoothed]))


def drop_empty_detections(frames, min_confidence, path):
    """The frames without the detections that see no keypoint (every confidence under
    `min_confidence` or every point at (0, 0): a detector's empty entries and whole-image
    fallback boxes), which would each start a 'person'; how many were dropped is logged."""
    out, dropped = [], 0
    for label, people in frames:
        kept = [p for p in people if np.any((p['points'][:, 2] >= min_confidence)
                                            & np.any(p['points'][:, :2] != 0, axis=1))]
        dropped += len(people) - len(kept)
        out.append((label, kept))
    if dropped:
        log.info('%s: dropped %d detection(s) that see no keypoint above --min-confidence %g',
                 path, dropped, min_confidence)
    return out
