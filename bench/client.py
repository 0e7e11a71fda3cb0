"""A browser-like HTTP client for the load generator: one keep-alive connection, cookies,
CSRF tokens read from the forms. Standard library only (http.client), so the numbers are
the server's, not a heavy client's."""

from __future__ import annotations

import http.client
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY_RE = re.compile(r'name="key"[^>]*value="([^"]+)"')


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, seconds: float):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf(self) -> str:
        found = CSRF_RE.search(self.text)
        if not found:
            raise ValueError(f"no CSRF token in the page ({self.status})")
        return found.group(1)


class Client:
    """Cookies are kept whatever their Secure flag says: the production settings mark them
    Secure, and the benchmark speaks plain HTTP to 127.0.0.1 (a TLS proxy would sit in
    front in production)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.requests = 0

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = urlencode(form).encode() if form is not None else None
        sent = {"Accept": "text/html", "Accept-Language": "zh-CN", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.requests += 1
        for attempt in (1, 2):
            started = time.perf_counter()
            reused = self.connection is not None
            try:
                connection = self._connect()
                connection.request(method, path, body=body, headers=sent)
                raw = connection.getresponse()
                data = raw.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                # The server closed the kept-alive connection (sync workers close every
                # one): reconnect once, as a browser does. A new connection that fails
                # (a worker killed by its timeout) is not sent again.
                self.close()
                if attempt == 2 or not reused:
                    raise
                continue
            seconds = time.perf_counter() - started
            for value in raw.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            if raw.getheader("Connection", "").lower() == "close" or raw.will_close:
                self.close()
            return Response(raw.status, dict(raw.headers.items()), data, seconds)
        raise AssertionError("unreachable")

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, str], **kwargs) -> Response:
        return self.request("POST", path, form=form, **kwargs)

    def login(self, phone: str, password: str) -> None:
        page = self.get("/login")
        done = self.post(
            "/login", {"csrf_token": page.csrf(), "phone": phone, "password": password}
        )
        if done.status not in (302, 303):
            raise RuntimeError(f"login of {phone} failed: HTTP {done.status}")
