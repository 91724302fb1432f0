"""The options of lifting a keypoint file, in one place: each one's default, range and help.

Lifter.lift_file and lib.infer.pipeline.lift_file take them as keyword arguments, Lifter.lift
the three that apply to an array of one person, and infer.py makes its command-line options
from the same table (add_arguments, LiftOptions.from_args), so a default changed here changes
all of them and what the output says it was lifted with.
"""
from lib.core import h36m, layouts
from lib.core.errors import PoseError
from lib.infer.detector_files import check_image_size


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _image_size(value):
    try:
        check_image_size(value, 'image_size')
    except PoseError:
        return False
    return True


class Option:
    """One option: its keyword `name`, its command-line `flag`, `default`, `help`, and `valid`
    (value -> bool) with the words `expected` for the message when it is not; `argparse`: more
    arguments for the command-line option (type, choices, metavar, nargs)."""

    def __init__(self, name, flag, default, valid, expected, help, **argparse):
        self.name, self.flag, self.default = name, flag, default
        self.valid, self.expected, self.help, self.argparse = valid, expected, help, argparse


OPTIONS = (
    Option('layout', '--format', 'auto',
           lambda v: v == 'auto' or v in layouts.LAYOUTS, 'auto or one of lib.core.layouts.LAYOUTS',
           'keypoint layout; auto (default) takes it from the file, which must then say it by '
           'names, metadata or an unambiguous keypoint count',
           choices=('auto',) + tuple(layouts.LAYOUTS)),
    Option('image_size', '--image-size', None, lambda v: v is None or _image_size(v),
           'an image size [W, H] of two sizes in (0, 1e6) pixels',
           'image width and height in pixels (MediaPipe\'s coordinates are fractions of them)',
           type=float, nargs=2, metavar=('W', 'H')),
    Option('min_confidence', '--min-confidence', 0.1,
           lambda v: _number(v) and 0 <= v <= 1, 'a number in [0, 1]',
           'keypoints below this confidence are missing (default 0.1)', type=float),
    Option('max_missing', '--max-missing', 4,
           lambda v: _whole(v) and 0 <= v < len(h36m.INPUT_JOINTS),
           'a whole number in 0..%d (a frame needs one joint seen)' % (len(h36m.INPUT_JOINTS) - 1),
           'a frame with more of the 16 input joints missing is left out (default 4); fewer are '
           'filled', type=int),
    Option('person', '--person', 'all', lambda v: v in ('all', 'best'), "'all' or 'best'",
           'all: every person, tracked across frames; best: only the highest-scoring person of '
           'each frame', choices=('all', 'best')),
    Option('rescale', '--rescale', 'auto', lambda v: v in ('auto', 'yes', 'no', True, False, None),
           "'auto', 'yes' or 'no'",
           'centre and scale the 2D to the training distribution (auto: yes for every layout but '
           'h36m); moot for a camera-free model (the shipped one), which takes any camera\'s '
           'pixels; it costs a pixel-space model 8 to 18 mm of Protocol #1 (doc/inference.md)',
           choices=('auto', 'yes', 'no')),
    Option('gate', '--track-gate', 1.5, lambda v: _number(v) and 0 < v <= 100,
           'body sizes in (0, 100]',
           'a person farther than this many body sizes (plus twice their speed times the frames '
           'since seen) from every track starts a new one (default 1.5)',
           type=float, metavar='SIZES'),
    Option('max_gap', '--track-max-gap', 25, lambda v: _whole(v) and 0 <= v <= 100000,
           'a number of frames in 0..100000', 'a track unseen for more frames ends (default 25)',
           type=int, metavar='FRAMES'),
    Option('smooth', '--smooth', 0.0, lambda v: _number(v) and 0 <= v <= 100,
           'a std in frames in [0, 100]',
           'Gaussian smoothing of the 3D over time, std in frames (0: off)',
           type=float, metavar='SIGMA'),
)
BY_NAME = {o.name: o for o in OPTIONS}
# What applies to an array of one person's keypoints (Lifter.lift).
ARRAY_OPTIONS = ('min_confidence', 'max_missing', 'rescale')


class LiftOptions:
    """Checked values of OPTIONS, as attributes by name. `values` the keyword options given
    (the rest take their defaults); `flags`: name options by their command-line flag in the
    messages (infer.py) rather than by keyword. An unknown name or a value out of range is a
    PoseError naming it."""

    def __init__(self, flags=False, **values):
        for name in values:
            if name not in BY_NAME:
                raise PoseError('%s: no such lifting option (options: %s)'
                                % (name, ', '.join(BY_NAME)))
        for option in OPTIONS:
            value = values.get(option.name, option.default)
            if not option.valid(value):
                raise PoseError('%s: expected %s, got %r' % (option.flag if flags else option.name,
                                                             option.expected, value))
            setattr(self, option.name, value)

    @classmethod
    def from_args(cls, args):
        """The options of infer.py's parsed arguments (add_arguments)."""
        return cls(flags=True, **{o.name: getattr(args, dest(o)) for o in OPTIONS})

    def changed(self):
        """{name: value} of the options that differ from their defaults."""
        return {o.name: getattr(self, o.name) for o in OPTIONS
                if getattr(self, o.name) != o.default}


def dest(option):
    """The argparse attribute of an option: '--track-gate' -> 'track_gate'."""
    return option.flag.lstrip('-').replace('-', '_')


def add_arguments(parser):
    """The command-line options of OPTIONS, with their defaults and help."""
    for option in OPTIONS:
        parser.add_argument(option.flag, default=option.default, help=option.help,
                            **option.argparse)


def array_options(values):
    """LiftOptions of Lifter.lift's keyword options: only ARRAY_OPTIONS apply to an array."""
    extra = sorted(set(values) - set(ARRAY_OPTIONS))
    if extra:
        raise PoseError('%s: not an option of lifting an array (only %s; the others are '
                        'lift_file\'s)' % (', '.join(extra), ', '.join(ARRAY_OPTIONS)))
    return LiftOptions(**values)
