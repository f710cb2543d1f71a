"""Components of the Weekly page."""
