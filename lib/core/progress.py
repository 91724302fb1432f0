"""Progress bars (tqdm) on a terminal only: when stderr goes to a file, nothing is drawn, so
log files stay clean."""
import sys

from tqdm import tqdm


def progress(iterable=None, total=None, desc=None, unit='it'):
    """A tqdm bar that is disabled unless stderr is a terminal."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False,
                disable=not sys.stderr.isatty(), dynamic_ncols=True)


def file_progress(desc):
    """A function that wraps a list of files in a bar (for lib.data.dataset.load_subjects)."""
    return lambda items: progress(items, desc=desc, unit='file')
