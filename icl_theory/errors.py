"""The one error type for bad user input, shared by every wing.

It carries a one-line message that names the problem; the command line prints it without a traceback.
"""


class InputError(ValueError):
    """A user-supplied value is unusable (not PSD, wrong shape, n < 1, unknown result id, ...)."""
