"""The markdown table ``make bench`` prints at the end (and the README shows)."""

from __future__ import annotations

PAGE_P95_TARGET_MS = 50
WORKER_TARGET_MB = 150
WRITER_WAIT_TARGET_MS = 100


def brief(measured: dict) -> str:
    return (
        f"{measured['throughput_rps']} req/s, p50 {measured['p50_ms']} ms, "
        f"p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms, "
        f"errors {measured['errors']}, ratio {measured.get('ratio')}"
    )


def _row(name: str, m: dict, note: str = "") -> str:
    ceiling = m.get("ceiling", {}).get("throughput_rps", "")
    return (
        f"| {name} | {m['throughput_rps']} | {m['p50_ms']} | {m['p95_ms']} | {m['p99_ms']} "
        f"| {m['errors']} | {ceiling} | {m.get('ratio')} | {note} |"
    )


def table(results: list[dict]) -> str:
    lines = []
    for result in results:
        s = result["scenarios"]
        m = result["machine"]
        city = result["city"]
        lines += [
            "",
            f"### {result['database']} — {city.get('command')} "
            + (
                f"{city['volunteers']:,} volunteers, {city['communities']} communities "
                if "volunteers" in city
                else ""
            )
            + f"(built in {city['seed_s']} s), gunicorn -w {result['gunicorn']['workers']}"
            + f" --threads {result['gunicorn']['threads']}",
            "",
            f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; Python {m['python']}, "
            f"SQLite {m['sqlite']}" + (f", {m['postgresql']}" if m.get("postgresql") else ""),
            "",
            "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | ceiling req/s | ratio "
            "| notes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        burst = s["checkin_burst"]
        v = burst["verify"]
        lines.append(
            _row(
                "check-in burst",
                burst,
                f"{burst['checked_in']}/{burst['volunteers']} checked in, "
                f"{burst['requests_per_checkin']} requests each, "
                f"{burst['checkins_per_s']} check-ins/s; exactly once: {v['exactly_once']}",
            )
        )
        rush = s["redemption_rush"]
        v = rush["verify"]
        lines.append(
            _row(
                "redemption rush",
                rush,
                f"{v['vouchers']} vouchers, stock left {v['stock_left']}, "
                f"5xx {rush['server_errors']}, balances wrong {v['balances_wrong']}, "
                f"exact: {v['exact']}",
            )
        )
        for name, page in s["pages"].items():
            over = page["p95_ms"] > PAGE_P95_TARGET_MS
            lines.append(_row(name, page, "p95 over 50 ms" if over else ""))
        lines += ["", "| job | seconds | result | writer's worst wait ms |", "|---|---|---|---|"]
        for name, job in s["jobs"]["jobs"].items():
            lines.append(
                f"| {name} | {job['seconds']} | {job['result']} | {job['writer_max_wait_ms']} |"
            )
        peaks = [w["peak_mb"] for w in s["memory"]["workers"]]
        lines += [
            "",
            f"Worker peak resident memory (VmHWM): {', '.join(f'{p} MB' for p in peaks)}"
            f" (target under {WORKER_TARGET_MB} MB).",
        ]
    return "\n".join(lines)
