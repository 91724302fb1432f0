"""The project's own error type: a problem with the user's input, reported in one line."""


class PoseError(Exception):
    """Bad input (file, option, model): the message names what and where, in one line.

    The command-line entry points catch it, print `error: <message>` and exit with status 2.
    """


def error_reason(error):
    """The last meaningful line of an exception's message, at most 200 characters: MXNet's
    errors start with 'Traceback (most recent call last):' and end with the reason."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(('Traceback', 'File ', '[bt]', 'Stack trace'))]
    return (lines[-1] if lines else type(error).__name__)[:200]
