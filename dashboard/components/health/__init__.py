"""Components of the Health page."""
