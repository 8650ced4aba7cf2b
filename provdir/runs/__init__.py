"""Stored crawl runs (``output/runs/<id>/``), their health, the output lock and the run report."""
