"""Scrapy settings for provider-directory.

Every setting that differs from Scrapy's default says what the default was and why we changed
it. Settings named ``PROVDIR_*`` are the project's own.
"""

from provdir import __version__
from provdir.crawl import netguard

BOT_NAME = "provdir"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- The project's own settings -------------------------------------------------------------
PROVDIR_OUTPUT_DIR = "output"
PROVDIR_MAX_PAGES_PER_SITE = 40
PROVDIR_ALLOW_PRIVATE_NETWORKS = False  # loopback/RFC 1918/link-local refused unless allowed
PROVDIR_PUBLISH = True  # provdir crawl publishes output/latest/ after a run that finished cleanly
PROVDIR_PUBLISH_ON_CLOSE = False  # scrapy crawl publishes too at spider close (PublishOnClose below)
PROVDIR_FORCE_PUBLISH = False  # publish even when the build looks like a mass failure
PROVDIR_CONTACT_URL = "https://github.com/provider-directory/provider-directory"
PROVDIR_RUN_ID = None  # set by the CLI; generated when None
PROVDIR_REUSE_EXTRACTION = True  # an unchanged page body reuses the previous run's extraction
PROVDIR_PROGRESS_INTERVAL = 30.0  # seconds between progress log lines when not on a terminal
# Networks treated as public despite being private (an internal mirror), and host -> address
# overrides like /etc/hosts (tests). Also read from the environment (JSON) so that the CLI's seed
# check applies them too. See provdir/crawl/netguard.py.
PROVDIR_ALLOWED_NETWORKS = netguard.env_allowed_networks()
PROVDIR_RESOLVER_OVERRIDES = netguard.env_overrides()
PROVDIR_RETRY_BACKOFF_BASE = 1.0  # seconds before the 1st retry of a host; doubles each retry
PROVDIR_RETRY_BACKOFF_MAX = 30.0
PROVDIR_RETRY_AFTER_MAX = 30.0  # a 429/503 Retry-After pauses the host this long at most
PROVDIR_CRAWL_DELAY_MAX = 10.0  # robots.txt Crawl-delay honored up to this many seconds
PROVDIR_EXTRACT_TIME_LIMIT = 5.0  # seconds of extraction per page; a page that takes longer is skipped
PROVDIR_MAX_LINKS_PER_PAGE = 2000  # links read from one page at most (inside the time limit too)
PROVDIR_START_BACKLOG = 2000  # requests queued at most before the next seed is taken (0: no limit)
PROVDIR_SITE_WINDOW = 500  # sites crawled at once at most, each on its kept-alive connection (0: no limit)
PROVDIR_OPEN_FILES = 65536  # the soft open-files limit is raised to this, within the hard limit (open_files.py)
# Pages only a browser can read (client-rendered apps): rendered with headless Chromium through
# scrapy-playwright after the plain fetch, when a Chromium is found. See provdir/crawl/render.py.
PROVDIR_RENDER = "auto"  # "auto": render when a browser is found; "off": never (sites are reported)
PROVDIR_CHROMIUM = None  # Chromium executable; else $PROVDIR_CHROMIUM, else chromium on PATH
PROVDIR_RENDER_MAX_PAGES_PER_SITE = 25  # renders per site, in link-priority order (~1 s of browser each)
PROVDIR_RENDER_CONCURRENCY = 2  # pages open at once in the one browser context
PROVDIR_RENDER_TIMEOUT = 15.0  # seconds per rendered page
PROVDIR_RENDER_MAX_MEMORY_MB = 1024  # browser processes' memory; above it, rendering stops for the run
# SAMHSA treatment locator listing API (spiders/samhsa_locator.py; `provdir crawl-samhsa --api-url`).
SAMHSA_API_URL = "https://findtreatment.gov/locator/exportsAsJson/v2"

# --- Identity and politeness ----------------------------------------------------------------
# Default "Scrapy/VERSION (+https://scrapy.org)": site owners should see who we are and how to
# reach us. IdentifyingUserAgent rebuilds it from PROVDIR_CONTACT_URL at crawl time.
USER_AGENT = f"provider-directory/{__version__} (+{PROVDIR_CONTACT_URL})"
ROBOTSTXT_OBEY = True  # default False (Scrapy's template sets True)
ROBOTSTXT_USER_AGENT = "provider-directory"  # default None (the full User-Agent): the robots.txt token
COOKIES_ENABLED = False  # default True: we never log in, and cookies make sessions traps
# Broad crawl (thousands of polite hosts; Scrapy's "Broad Crawls" guidance starts at 100): the
# global limit counts requests waiting out a host's delay too, so with 16 only 7.6 were on the
# wire on average (issue 17, 2,000 sites). Per-host politeness below is what bounds each site.
CONCURRENT_REQUESTS = 128  # default 16; see README "A national crawl on one machine" for the figures
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # default 8: small-business sites on shared hosting
DOWNLOAD_DELAY = 0.25  # default 0: AutoThrottle never goes below this
AUTOTHROTTLE_ENABLED = True  # default False
AUTOTHROTTLE_START_DELAY = 0.5  # default 5.0
AUTOTHROTTLE_MAX_DELAY = 10.0  # default 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # default 1.0

# Scrapy runs a page's output through CONCURRENT_ITEMS asyncio tasks, all created for every
# response (default 100: 100 tasks per page, 8.9% of the crawl's CPU at 200 sites). A page gives
# one observation and a few links, and every pipeline is synchronous: 4 is plenty.
CONCURRENT_ITEMS = 4  # default 100
# Default True: before each callback Scrapy checks its source for a `return value` in a
# generator, cached by the bound method, which dies with its request: the callback's source was
# parsed again (6.4 ms for ProviderSitesSpider.parse) every few hundred pages, and the check
# cost ~0.7% of a 300-site crawl's CPU. The same check runs once, in the tests, over every
# callback of our spiders (tests/component/test_spiders.py).
WARN_ON_GENERATOR_RETURN_VALUE = False

# --- Bounds ---------------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 20  # default 180: a page that takes longer is not worth holding a slot
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # default 1 GiB: a treatment-center page is < 1 MiB
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # default 32 MiB
DEPTH_LIMIT = 5  # default 0 (unlimited): facts sit within a few clicks of the home page
RETRY_TIMES = 2  # default 2 (BackoffRetryMiddleware waits between them; DNS failures are not retried)
# Default "ERROR": the spiders' errbacks log the one line a failed page gets (provdir/crawl/failures.py).
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
REDIRECT_MAX_TIMES = 5  # default 20
METAREFRESH_MAXDELAY = 5  # default 100
DNS_TIMEOUT = 10  # default 60
# Name lookups run in the reactor's thread pool (GuardedResolver: once per host per run, the
# answer pinned); Scrapy's broad-crawl guidance raises the pool for many hosts at once.
REACTOR_THREADPOOL_MAXSIZE = 20  # default 10
# Default DownloaderAwarePriorityQueue counts every queued host's active downloads on each pop:
# 115 µs per pop at 100 hosts, 9.7 ms at 9,000. HostRoundRobinQueue visits hosts in turn and
# looks at most CONCURRENT_REQUESTS + 1 of them: 8-23 µs from 100 to 9,000 hosts
# (benchmarks/scheduler_queues.py).
SCHEDULER_PRIORITY_QUEUE = "provdir.crawl.host_queue.HostRoundRobinQueue"
# Default "scrapy.resolver.CachingThreadedResolver": ours refuses private addresses after DNS
# and pins each host's checked addresses for the run (provdir/crawl/netguard.py).
TWISTED_DNS_RESOLVER = "provdir.crawl.netguard.GuardedResolver"
# Defaults handle file:, data:, ftp: and s3: URLs too; a crawl of the web needs none of them.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

# --- Incremental re-crawls ------------------------------------------------------------------
# Default off. RFC 2616 policy with every request sent "Cache-Control: max-age=0": each page is
# re-requested (a closed site is still seen), with If-None-Match / If-Modified-Since, so an
# unchanged page costs a 304 and its cached body is reused ("no-cache" would skip the validators
# in Scrapy's policy). `provdir crawl` keeps the cache in OUT/httpcache.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"  # default DummyPolicy (never revalidates)
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_GZIP = True  # default False
# Default FilesystemCacheStorage (a directory and 7 files per response, gzip level 9, in the reactor
# thread: 13.6% of the crawler's CPU at 200 sites); ours writes one file per response, level 1,
# from a background thread, and still reads Scrapy's layout (provdir/crawl/httpcache_storage.py).
HTTPCACHE_STORAGE = "provdir.crawl.httpcache_storage.BackgroundFilesystemCacheStorage"
HTTPCACHE_IGNORE_HTTP_CODES = [301, 302, 303, 307, 308, 404, 410, 429, 500, 502, 503, 504]  # default []
DEFAULT_REQUEST_HEADERS = {  # Scrapy's two defaults, plus the forced revalidation
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Cache-Control": "max-age=0",
}

# --- Plumbing -------------------------------------------------------------------------------
# Default MemoryStatsCollector, whose every call pays a Python __getattribute__ (Scrapy 2.19):
# 2.6 µs per inc_value against 0.16 µs (provdir/crawl/stats.py).
STATS_CLASS = "provdir.crawl.stats.PlainStatsCollector"
TELNETCONSOLE_ENABLED = False  # default True: nothing should listen on the crawl machine
REMOTE_CONTROL_ENABLED = False  # default True (Scrapy 2.19): same reason
LOG_LEVEL = "INFO"  # default DEBUG
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# Proxies (http_proxy / https_proxy in the environment) are off unless asked for with
# -s HTTPPROXY_ENABLED=True: a proxy resolves names itself, past the private-network guard. With
# them on, the guard still judges every target's own addresses and refuses names it cannot
# resolve (README, "Running unattended"); the proxy's own address must be public or listed in
# PROVDIR_ALLOWED_NETWORKS.
HTTPPROXY_ENABLED = False  # default True

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's offsite filter (50) only reads a spider's allowed_domains, which none of ours
    # sets: each site's scope is the spider's (host and port per site, redirects included), so
    # the filter only cost a check per request and a signal receiver per scheduled request.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # Runs before robots.txt (100) so a private robots.txt is never fetched either.
    "provdir.crawl.middlewares.PrivateNetworkGuard": 50,
    # Scrapy's robots.txt middleware (100), whose one fetch per host also gives the spider the
    # sitemaps: robots.txt was fetched twice per host (2.00 per host measured), now once.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "provdir.crawl.middlewares.SitemapRobotsTxt": 100,
    # Scrapy's own, replaced by subclasses at the same place (see provdir/crawl/middlewares.py).
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "provdir.crawl.middlewares.IdentifyingUserAgent": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "provdir.crawl.middlewares.BackoffRetryMiddleware": 550,
    "provdir.crawl.middlewares.RobotsCrawlDelay": 560,
    "provdir.crawl.middlewares.PerHostConcurrency": 570,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "provdir.crawl.middlewares.ScopedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "provdir.crawl.middlewares.ScopedRedirectMiddleware": 600,
    # Scrapy's cache (default 900, above DownloaderStats at 850) is replaced by one that never
    # serves a stale copy for a dead site, placed below the stats so that
    # downloader/response_bytes counts what crossed the network (a 304), not the cached body.
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "provdir.crawl.middlewares.RevalidatingHttpCache": 840,
}

# One concern per pipeline, numbered with gaps; the table in README.md describes each.
ITEM_PIPELINES = {
    "pipelines.validate.ValidateObservation": 100,
    "pipelines.phones.NormalizePhones": 200,
    "pipelines.addresses.NormalizeAddresses": 300,
    "pipelines.vocabulary.CheckVocabulary": 400,
    "pipelines.duplicates.DropDuplicatePages": 500,
    "pipelines.store.WriteObservations": 900,
}

# Wires scrapy-playwright's download handler in, only when rendering is on (provdir/crawl/render.py).
ADDONS = {"provdir.crawl.render.BrowserRendering": 0}

EXTENSIONS = {
    # The `scrapy` logger at LOG_LEVEL: at INFO, no page builds its "Crawled" and "Scraped from"
    # DEBUG records only for the log handler to drop them (0.6% of the CPU; log_level.py).
    "provdir.crawl.log_level.ScrapyLogLevel": 90,
    # One log line per failure: Scrapy's robots.txt download errors (tracebacks) made one line.
    "provdir.crawl.failures.OneLinePerFailure": 100,
    # The open-files limit raised (toward PROVDIR_OPEN_FILES) for a connection per open site.
    "provdir.crawl.open_files.OpenFilesLimit": 440,
    # The garbage collector tuned for a long crawl, and its cost in the stats (gc/seconds),
    # before RunRecorder writes the stats.
    "provdir.crawl.gc_tuning.GarbageCollection": 450,
    # Writes the run's stats and manifest when the spider closes (it never publishes).
    "provdir.crawl.extensions.RunRecorder": 500,
    # Opt-in (PROVDIR_PUBLISH_ON_CLOSE) publishing for a plain `scrapy crawl`, after RunRecorder;
    # `provdir crawl` publishes after the crawl instead. Named by path: the crawl imports no build.
    "provdir.cli.publishing.PublishOnClose": 505,
    # Sites done / total, pages, items, errors, rate: redrawn on a terminal, logged otherwise.
    "provdir.crawl.progress.Progress": 510,
}
PROVDIR_GC_FREEZE = True  # gc.freeze() the heap loaded at start: collections skip it (gc_tuning.py)
PROVDIR_GC_THRESHOLD = 20000  # young-generation GC threshold while crawling; 0: CPython's 700 (gc_tuning.py)
