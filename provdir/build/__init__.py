"""The build: stored runs -> facility locations -> published tables (pure, re-runnable)."""

from provdir.build.publish import NothingToPublish, PublishRefused, PublishResult, SchemaViolation, publish

__all__ = ["NothingToPublish", "PublishRefused", "PublishResult", "SchemaViolation", "publish"]
