"""The build: stored runs -> facility locations -> published tables (pure, re-runnable)."""

from provdir.build.publish import NothingToPublish, PublishRefused, PublishResult, publish

__all__ = ["NothingToPublish", "PublishRefused", "PublishResult", "publish"]
