"""Errors a user can cause. The CLI prints their one line and exits 2, never a traceback."""


class UserError(Exception):
    """A problem with the user's input: the message names the thing and the fix."""

    exit_code = 2
