"""provider-directory: crawl treatment-center websites into a clean facility directory."""

__version__ = "0.1.0"
