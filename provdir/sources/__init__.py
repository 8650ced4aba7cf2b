"""Where the crawl starts: seeds files, directory seeds, and the SAMHSA locator's mapping."""
