"""The project's own error type: a problem with the user's input, reported in one line."""


class PoseError(Exception):
    """Bad input (file, option, model): the message names what and where, in one line.

    The command-line entry points catch it, print `error: <message>` and exit with status 2.
    """
