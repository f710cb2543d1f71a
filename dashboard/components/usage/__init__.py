"""Components of the Usage page."""
