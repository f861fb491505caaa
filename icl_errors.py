"""The one error type for bad user input, shared by both wings (derivations/, verify/) and the face (icl_theory/).

It carries a one-line message that names the problem; the command line prints it without a traceback.
"""


class InputError(ValueError):
    """A user-supplied value is unusable (not PSD, wrong shape, n < 1, unknown result id, ...)."""
