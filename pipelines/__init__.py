"""Item pipelines, one concern per module; order and counts are documented in README.md."""
