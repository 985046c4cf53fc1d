"""SVG screenshots of every screen, made against the simulated deployment (``python -m screenshots``)."""
