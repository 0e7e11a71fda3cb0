"""Default settings. Every key can be overridden by a ``GOVHUB_<KEY>`` environment variable.

Nothing here reads the environment at import time: ``create_app`` calls
``app.config.from_prefixed_env("GOVHUB")`` after loading these defaults, so
``GOVHUB_DATABASE_URL=postgresql+psycopg://...`` or ``GOVHUB_SECRET_KEY=...`` take effect
per app instance.
"""

from datetime import timedelta

# "development" or "production". Production refuses to start without a secret key and
# marks cookies Secure.
ENV = "development"

# Database. Empty means SQLite in the instance folder.
DATABASE_URL = ""
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections each app process keeps open to PostgreSQL (SQLAlchemy's default: 5).
DATABASE_POOL_SIZE = None

SECRET_KEY = None

# Languages: Simplified Chinese first, English available.
# Babel locale identifiers (the catalogs live in govhub/translations/<identifier>).
LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_DURATION = timedelta(days=30)
PERMANENT_SESSION_LIFETIME = timedelta(days=7)

# CSRF tokens live as long as the session: a form left open (elder-friendly mode, a slow
# typist) must not fail because a timer ran out.
WTF_CSRF_TIME_LIMIT = None

# Login throttling (Flask-Limiter). Only failed attempts count. Use a shared storage
# (e.g. redis://) when several app processes serve the same site.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = False
# Said here, not left to Flask-Limiter: its one limiter object keeps the last app's value
# as the default for the next app it is bound to.
RATELIMIT_ENABLED = True
LOGIN_LIMIT_PER_PHONE = "5 per 15 minutes"
LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
# Forms anyone can send (sign-up, partner applications, resident requests). Only accepted
# submissions count, per client address and per phone number (the contact phone, or the
# logged-in resident's own).
SUBMIT_LIMIT_PER_ADDRESS = "20 per hour"
SUBMIT_LIMIT_PER_PHONE = "5 per hour"
# Activating an imported account with the code on its slip: only refused codes count.
ACTIVATE_LIMIT_PER_PHONE = "5 per 15 minutes"
ACTIVATE_LIMIT_PER_ADDRESS = "30 per 15 minutes"
# The same resident request sent again within this many minutes is refused as a duplicate.
REQUEST_DUPLICATE_MINUTES = 30

# The site's public address, e.g. "https://govhub.example.cn" (with a path if it is served
# under one). Every absolute URL (QR codes, links in exports) is built from it, never from
# the request's Host header. Production refuses to start without it, unless SERVER_NAME
# and TRUSTED_HOSTS are set instead.
BASE_URL = ""
# Reverse proxies in front of the app that set X-Forwarded-For/-Proto. 0 trusts none:
# the client address is the connection's. With N, the N-th address from the right is used.
PROXY_COUNT = 0

# The oversight dashboards of a street, a district and the city (监测调度) count a whole
# area's needs, hours and points; their figures are fresh this many seconds (shown with
# the time they were counted) rather than counted again for every view, and kept a day
# so that older ones are shown while they are counted again. Flask-Caching:
# a file cache in the instance folder by default, shared by the workers of one server
# (CACHE_DIR, default instance/cache); with several servers use Redis, e.g.
# GOVHUB_CACHE_TYPE=RedisCache GOVHUB_CACHE_REDIS_URL=redis://10.0.0.5:6379/1.
CACHE_TYPE = "FileSystemCache"
CACHE_DEFAULT_TIMEOUT = 600
CACHE_THRESHOLD = 2000  # files the file cache keeps before it drops the oldest
DASHBOARD_CACHE_SECONDS = 600
REDIS_CACHE_TIMEOUT = 1  # seconds to connect to, or hear from, the Redis cache

# One line per request on the ``govhub.requests`` logger (method, path without the query,
# status, milliseconds, user id), each log line stamped with the request id.
REQUEST_LOG = True

# Uploads (org tree CSV).
MAX_CONTENT_LENGTH = 4 * 1024 * 1024

# Star level (星级志愿者) from total confirmed hours: 1 star at 100 h … 5 stars at 1500 h.
STAR_THRESHOLDS_HOURS = (100, 300, 600, 1000, 1500)

# Points supermarket. A voucher not used within this many days is refunded.
VOUCHER_VALID_DAYS = 30
# A reward limited to an area is for its residents: a volunteer whose home moved into the
# area fewer than this many days ago may redeem it only after earning points there (0: off).
REWARD_AREA_SETTLED_DAYS = 30
# Largest reward photo accepted (it is re-encoded to a small JPEG anyway). Keep it below
# MAX_CONTENT_LENGTH so an oversized photo gets an error at the field.
REWARD_PHOTO_MAX_BYTES = 3 * 1024 * 1024
# Importing a roster (花名册): the largest .xlsx and the most rows accepted, and how many
# days the one-time code on an activation slip works.
ROSTER_MAX_BYTES = 2 * 1024 * 1024
ROSTER_MAX_ROWS = 5000
ROSTER_CODE_DAYS = 30

# Points expiry: 0 (the default) keeps points forever; N expires what is left of each
# credit N months after it was credited, after a notice this many days before.
POINTS_EXPIRY_MONTHS = 0
POINTS_EXPIRY_NOTICE_DAYS = 30

# 双报到. A confirmed unit or member report counts for this many months, then lapses
# unless renewed; the unit's liaison (or the member) is reminded this many days before.
REPORT_TERM_MONTHS = 12
REPORT_RENEWAL_NOTICE_DAYS = 30
# Hours a reported in-service party member is expected to serve in a calendar year, and
# the share (percent) of a unit's declared party members who must have reported for the
# unit to meet the reporting-completion line some districts use for unit appraisal.
MEMBER_YEARLY_TARGET_HOURS = 50
REPORTING_COMPLETION_LINE = 95
