"""Components of the Goals page."""
