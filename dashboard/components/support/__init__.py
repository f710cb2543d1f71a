"""Components of the Support page."""
