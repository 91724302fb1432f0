"""Writing and reading small files safely: atomic writes (temporary name, then rename), text and
JSON, and one JSON reader whose failures are PoseErrors."""
import contextlib
import json
import math
import os
import tempfile

from lib.core.errors import PoseError


def not_a_file(path):
    """What `path` is when it exists (or is a link) but is no regular file: 'a folder', 'a broken
    or looping link' or 'a device, FIFO or socket'; None for a regular file or nothing."""
    if not os.path.lexists(path) or os.path.isfile(path):
        return None
    if os.path.isdir(path):
        return 'a folder'
    return 'a broken or looping link' if os.path.islink(path) else 'a device, FIFO or socket'


def option_file(option, value, root):
    """The absolute path of the file that `option` (e.g. 'DATASET.cameras') names as `value`:
    looked up from the working folder, then inside the data folder `root`."""
    for path in (value, os.path.join(root, value)):
        if os.path.isfile(path):
            return os.path.abspath(path)
    raise PoseError('%s %s: no such file (looked here and in %s)' % (option, value, root))


def check_output(path, option='output'):
    """Refuse, before anything is written, an output that exists and is not a regular file (a
    device such as /dev/null, a FIFO, a folder): writing would replace it. `option` names
    the option or file in the message."""
    kind = not_a_file(path)
    if kind:
        raise PoseError('%s %s: is %s, not a regular file; give a file name' % (option, path, kind))


@contextlib.contextmanager
def atomic_path(path, suffix='.tmp'):
    """Yield a temporary name beside `path` for the caller to write; rename it to `path` when the
    block ends without error, remove it when it fails. A killed or failing writer never leaves a
    truncated file under the real name. The temporary name is new and unique (a hidden file in
    the same folder), so it can never be an input of the command. `suffix` keeps the
    extension some writers insist on (np.savez adds .npz to a name without it)."""
    check_output(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.%s.' % os.path.basename(path)[:60],
                               suffix=suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)          # mkstemp's 0600 would make results private
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and (not e.filename or e.filename == tmp):
            # A full disk seen by a library writer often names no file, or our temporary one:
            # name the file the user asked for.
            raise OSError(e.errno, e.strerror or str(e), path) from e
        raise


def write_text(text, path):
    """Write a text file atomically."""
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.write(text)


def finite_json(value):
    """`value` with every float that is NaN or infinite replaced by None (JSON's null): JSON has
    no such numbers, and a file holding them is not valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def write_json(value, path, indent=2):
    """Write a JSON-serialisable value atomically, as valid JSON (non-finite numbers as null)."""
    write_text(json.dumps(finite_json(value), indent=indent, allow_nan=False), path)


def read_json(path):
    """A JSON file's content, or None when it does not exist; a broken one is a PoseError."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise PoseError('%s: unreadable (%s)' % (path, e))
