"""Measuring tools run from a checkout of the project (`csm bench`, `make bench`): not part of
the installed package."""
