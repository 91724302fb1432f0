"""How many threads MXNet's CPU operators use: every core this process may run on, unless the
user says otherwise with OMP_NUM_THREADS.

MXNet reads OMP_NUM_THREADS once, when it is loaded, and without it starts half the processors
it sees (one thread on a 2-core machine). So each command calls use_available_cores() before
anything imports mxnet, and logs describe() once it runs. Results are bit-identical between two
runs only at the same thread count, which is why runs record it. numpy's OpenBLAS reads the same
variable when numpy loads, so it follows the same count.
"""
import os

VARIABLE = 'OMP_NUM_THREADS'


def available_cores():
    """The cores this process may use: its CPU affinity, capped by a cgroup CPU quota (a
    container limited to 2 CPUs on a 16-core host gets 2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        with open('/sys/fs/cgroup/cpu.max') as f:
            quota, period = f.read().split()[:2]
        if quota != 'max':
            cores = min(cores, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def use_available_cores(environ=None):
    """Set OMP_NUM_THREADS to available_cores() unless it is already set (the user's choice
    wins). Call before mxnet is imported; later calls change nothing MXNet uses."""
    environ = os.environ if environ is None else environ
    if not environ.get(VARIABLE, '').strip():
        environ[VARIABLE] = str(available_cores())


def thread_count(environ=None):
    """The thread count in effect: OMP_NUM_THREADS as a positive int, or None if it is unset or
    not a positive integer."""
    environ = os.environ if environ is None else environ
    text = environ.get(VARIABLE, '').strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def describe(environ=None):
    """One line for the log: the threads, and whether the user or this module chose them."""
    environ = os.environ if environ is None else environ
    threads = thread_count(environ)
    if threads is None:
        return '%s=%r is not a positive integer: MXNet takes its own default' % (
            VARIABLE, environ.get(VARIABLE, ''))
    return 'CPU threads: %d (%s=%d; %d cores available)' % (
        threads, VARIABLE, threads, available_cores())


def resume_mismatch(saved, environ=None):
    """The warning for resuming a run that trained with `saved` threads (None: not recorded)
    under another count, or None when they agree."""
    current = thread_count(environ)
    if saved is None or saved == current:
        return None
    return ('the run trained with %s CPU threads, this one has %s: it goes on, but its numbers '
            'will not be bit-identical to an uninterrupted run (set %s=%s for that)'
            % (saved, current, VARIABLE, saved))
