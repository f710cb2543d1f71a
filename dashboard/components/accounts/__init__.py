"""Components of the Accounts page."""
