"""Components of the Retention page."""
