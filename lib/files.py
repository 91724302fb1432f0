"""Atomic file writes: write under a temporary name beside the target, then rename."""
import contextlib
import os


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
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
