"""The one exception type the command line turns into a one-sentence error."""


class CxbenchError(Exception):
    """A failure the user can act on; its message is one clear sentence."""
