"""Writing and reading small files safely: atomic writes (temporary name, then rename), text and
JSON, and one JSON reader whose failures are PoseErrors."""
import contextlib
import json
import os

from lib.core.errors import PoseError


@contextlib.contextmanager
def atomic_path(path, suffix='.tmp'):
    """Yield a temporary name beside `path` for the caller to write; rename it to `path` when the
    block ends without error, remove it when it fails. A killed or failing writer never leaves a
    truncated file under the real name. `suffix` keeps the extension some writers insist on
    (np.savez adds .npz to a name without it)."""
    tmp = path + suffix
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and not e.filename:
            # A full disk seen by a library writer often names no file: name the one we write.
            raise OSError(e.errno, e.strerror or str(e), path) from e
        raise


def write_text(text, path):
    """Write a text file atomically."""
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.write(text)


def write_json(value, path, indent=2):
    """Write a JSON-serialisable value atomically."""
    write_text(json.dumps(value, indent=indent), path)


def read_json(path):
    """A JSON file's content, or None when it does not exist; a broken one is a PoseError."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise PoseError('%s: unreadable (%s)' % (path, e))
