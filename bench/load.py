"""The load generator: a separate process that drives a running server with threads,
each a browser-like client (bench/client.py). One scenario per run:

    python -m bench.load SCENARIO SPEC.json     # prints the result as JSON

The spec names the server (``base``) and what the scenario needs (logins, ids).
"""

from __future__ import annotations

import html
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from bench.client import KEY_RE, Client, Response

IMAGE_RE = re.compile(r'src="(/manage/shifts/\d+/checkin/in/[^"]+\.png)"')


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Recorder:
    """Latencies and errors of one measured phase (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.server_errors = 0
        self.error_samples: list[str] = []
        self.started = 0.0
        self.ended = 0.0

    def add(self, response: Response, ok: bool) -> None:
        with self.lock:
            self.latencies.append(response.seconds)
            if response.status >= 500:
                self.server_errors += 1
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"HTTP {response.status}")

    def failed(self, error: BaseException) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(repr(error)[:200])

    def summary(self) -> dict:
        wall = max(self.ended - self.started, 1e-9)
        count = len(self.latencies)
        return {
            "requests": count,
            "seconds": round(wall, 3),
            "throughput_rps": round(count / wall, 1),
            "p50_ms": round(percentile(self.latencies, 0.50) * 1000, 1),
            "p95_ms": round(percentile(self.latencies, 0.95) * 1000, 1),
            "p99_ms": round(percentile(self.latencies, 0.99) * 1000, 1),
            "max_ms": round(max(self.latencies, default=0) * 1000, 1),
            "errors": self.errors,
            "server_errors": self.server_errors,
            "error_samples": self.error_samples,
        }


def run_all(jobs: list[Callable[[], None]], recorder: Recorder, workers: int) -> None:
    """Run ``jobs`` on ``workers`` threads, all released at once; the phase's wall time
    runs from the release to the last job's end."""
    start = threading.Event()

    def wrapped(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except Exception as error:  # noqa: BLE001 (counted as an error, the run goes on)
            recorder.failed(error)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(wrapped, job) for job in jobs]
        time.sleep(0.2)  # let the threads reach the gate
        recorder.started = time.perf_counter()
        start.set()
        for future in futures:
            future.result()
    recorder.ended = time.perf_counter()


def logged_in(base: str, logins: list[tuple[str, str]], workers: int = 8) -> list[Client]:
    """One client per login, logged in beforehand (not measured)."""

    def one(login: tuple[str, str]) -> Client:
        client = Client(base)
        client.login(*login)
        client.requests = 0
        return client

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, logins))


# --- Scenarios ----------------------------------------------------------------------


def ceiling(spec: dict) -> dict:
    """The machine's ceiling: ``clients`` clients, each sending ``per_client`` GETs of
    ``path`` (the one-line endpoint or the single INSERT)."""
    recorder = Recorder()
    clients = [Client(spec["base"]) for _ in range(spec["clients"])]

    def job(client: Client) -> Callable[[], None]:
        def run() -> None:
            for _ in range(spec["per_client"]):
                response = client.get(spec["path"])
                recorder.add(response, response.status == 200)

        return run

    run_all([job(c) for c in clients], recorder, len(clients))
    return recorder.summary()


def decode_qr(png: bytes) -> str:
    """What a phone's camera reads in the QR code."""
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    if not found:
        raise RuntimeError("the check-in QR code could not be read")
    return found[0].text


class CodeWatcher:
    """The organizer's check-in screen: refreshes the code block every 5 s as htmx does,
    loads its QR image and reads it, keeping the current scan link for the volunteers."""

    def __init__(self, client: Client, shift_id: int, interval: float) -> None:
        self.client = client
        self.path = f"/manage/shifts/{shift_id}/checkin/code"
        self.interval = interval
        self.link = ""
        self.refreshes: list[float] = []
        self.stop = threading.Event()
        self.refresh()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def refresh(self) -> None:
        response = self.client.get(self.path, headers={"HX-Request": "true"})
        found = IMAGE_RE.search(response.text)
        if response.status != 200 or not found:
            raise RuntimeError(f"no QR code on the check-in screen (HTTP {response.status})")
        self.refreshes.append(response.seconds)
        image = self.client.get(found.group(1).replace("&amp;", "&"))
        if image.status != 200:
            raise RuntimeError(f"the QR image is missing (HTTP {image.status})")
        self.link = urlsplit(decode_qr(image.body)).path

    def loop(self) -> None:
        while not self.stop.wait(self.interval):
            self.refresh()


def checkin(spec: dict) -> dict:
    """500 logged-in volunteers scan the shift's current code at once, through the real
    flow: the camera opens the scan link, which answers with the confirmation page, and
    that page's form is POSTed (htmx sends it on load): two requests per check-in."""
    base = spec["base"]
    organizer = logged_in(base, [tuple(spec["organizer"])])[0]
    watcher = CodeWatcher(organizer, spec["shift_id"], interval=5.0)
    volunteers = logged_in(base, [(phone, spec["password"]) for phone in spec["volunteers"]])
    recorder = Recorder()
    checked_in = []
    lock = threading.Lock()

    def job(client: Client) -> Callable[[], None]:
        def run() -> None:
            page = client.get(watcher.link)
            recorder.add(page, page.status == 200)
            if page.status != 200:
                return
            found = re.search(r'data-hx-post="([^"]+)"', page.text)
            if found is None:  # not the confirmation page: counted as an error
                recorder.add(page, False)
                return
            done = client.post(
                html.unescape(found.group(1)),
                {"csrf_token": page.csrf()},
                headers={"HX-Request": "true", "HX-Target": "scan-result"},
            )
            recorder.add(done, done.status == 200)
            if done.status == 200:
                with lock:
                    checked_in.append(client.requests)

        return run

    watcher.thread.start()
    run_all([job(c) for c in volunteers], recorder, len(volunteers))
    watcher.stop.set()
    result = recorder.summary()
    wall = max(recorder.ended - recorder.started, 1e-9)
    result.update(
        volunteers=len(volunteers),
        checked_in=len(checked_in),
        checkins_per_s=round(len(checked_in) / wall, 1),
        requests_per_checkin=round(sum(checked_in) / len(checked_in), 2) if checked_in else None,
        screen_refresh_ms=[round(s * 1000, 1) for s in watcher.refreshes],
    )
    return result


def redeem(spec: dict) -> dict:
    """200 volunteers who can afford it redeem one reward with little stock, at once:
    the reward's page (its form's CSRF token and idempotency key), then the POST."""
    base = spec["base"]
    clients = logged_in(base, [(phone, spec["password"]) for phone in spec["volunteers"]])
    recorder = Recorder()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    path = f"/rewards/{spec['reward_id']}"

    def job(client: Client) -> Callable[[], None]:
        def run() -> None:
            page = client.get(path)
            recorder.add(page, page.status == 200)
            key = KEY_RE.search(page.text)
            done = client.post(
                f"{path}/redeem",
                {"csrf_token": page.csrf(), "key": key.group(1) if key else ""},
            )
            # 303: a voucher; 422: refused (sold out) with the reason on the page.
            recorder.add(done, done.status in (303, 422))
            with lock:
                outcomes[str(done.status)] = outcomes.get(str(done.status), 0) + 1

        return run

    run_all([job(c) for c in clients], recorder, len(clients))
    result = recorder.summary()
    result["outcomes"] = outcomes
    return result


def _page_job(
    client: Client, path: str, headers: dict, recorder: Recorder, count: int, seconds: float
) -> Callable[[], None]:
    """``count`` requests, or fewer (at least one) once ``seconds`` have passed: a page
    that takes seconds at city scale would otherwise hold the run for an hour."""

    def run() -> None:
        deadline = time.perf_counter() + seconds
        for _ in range(count):
            response = client.get(path, headers=headers)
            recorder.add(response, response.status == 200)
            if time.perf_counter() > deadline:
                break

    return run


def pages(spec: dict) -> dict:
    """Each page ``n`` times from ``clients`` concurrent clients of the page's user."""
    base = spec["base"]
    sessions: dict[tuple[str, str], Client] = {}
    results = {}
    for page in spec["pages"]:
        login = (page["phone"], page["password"])
        if login not in sessions:
            sessions[login] = logged_in(base, [login])[0]
        cookies = sessions[login].cookies
        clients = []
        for _ in range(spec["clients"]):
            client = Client(base, timeout=300)
            client.cookies = dict(cookies)
            clients.append(client)
        recorder = Recorder()
        per_client = max(1, page.get("n", spec["n"]) // spec["clients"])
        headers = {"HX-Request": "true"} if page.get("htmx") else {}

        jobs = [
            _page_job(c, page["path"], headers, recorder, per_client, spec["max_seconds"])
            for c in clients
        ]
        run_all(jobs, recorder, len(clients))
        summary = recorder.summary()
        summary["path"] = page["path"]
        summary["capped"] = summary["requests"] < per_client * len(clients)
        results[page["name"]] = summary
        for client in clients:
            client.close()
    return results


SCENARIOS = {"ceiling": ceiling, "checkin": checkin, "redeem": redeem, "pages": pages}


def main() -> None:
    name, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    json.dump(SCENARIOS[name](spec), sys.stdout)


if __name__ == "__main__":
    main()
