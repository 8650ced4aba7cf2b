"""Scrapy spiders: one module per source. Spiders decide where to look; provdir.extract reads pages."""
