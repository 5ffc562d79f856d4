"""Errors that scsim reports to users as one line (exit status 2 on the command line)."""


class ScsimError(Exception):
    """A user-facing error: bad scenario, bad file, impossible request.

    The message is one line that names the file, the field path or line number, and what was
    expected. The command line prints it as ``error: <message>`` and exits with status 2.
    """


class ScenarioError(ScsimError, ValueError):
    """A scenario file or override is invalid."""


class ResourceError(ScsimError):
    """The request does not fit this machine (memory) or a path is not usable."""
