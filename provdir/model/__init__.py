"""The data model shared by every layer: the typed items a crawl emits and the build reads."""
