"""Components of the Data page."""
