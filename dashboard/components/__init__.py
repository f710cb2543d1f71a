"""Pieces of the pages: shared ones here (KPI card, text), page-private ones per page."""
