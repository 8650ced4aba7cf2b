"""The crawl: Scrapy settings, crawl policy, network guard, middlewares and extensions.

Nothing here imports :mod:`provdir.build`: a crawl writes observations, the build publishes.
"""
