"""Components of the Satisfaction page."""
