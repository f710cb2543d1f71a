"""Errors of the import pipeline."""


class LoadRefused(Exception):
    """The file as a whole cannot be loaded (empty, wrong format, missing columns...).

    The message is a sentence for a person; nothing was written."""
