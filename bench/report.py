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
        s = result.get("scenarios", {})
        m = result["machine"]
        city = result["city"]
        size = (
            f"{city['volunteers']:,} volunteers, {city['communities']} communities "
            if "volunteers" in city
            else ""
        )
        lines += [
            "",
            f"### {result['database']}, {result['started'][:10]}: {city.get('command')} {size}"
            f"(scale {result.get('scale')}, built in {city['seed_s']} s), "
            f"gunicorn -w {result['gunicorn']['workers']} --threads "
            f"{result['gunicorn']['threads']}"
            + ("" if result.get("complete", True) else " — INCOMPLETE run"),
            "",
            f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; Python {m['python']}, "
            f"SQLite {m['sqlite']}" + (f", {m['postgresql']}" if m.get("postgresql") else ""),
            "",
            "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | ceiling req/s | ratio "
            "| notes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        if burst := s.get("checkin_burst"):
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
        if rush := s.get("redemption_rush"):
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
        for name, page in s.get("pages", {}).items():
            notes = []
            if page["p95_ms"] > PAGE_P95_TARGET_MS:
                notes.append("p95 over 50 ms")
            if page.get("capped"):
                notes.append(f"{page['requests']} requests (time cap)")
            lines.append(_row(name, page, "; ".join(notes)))
        if jobs := s.get("jobs"):
            lines += [
                "",
                "| job | seconds | result | writer's worst wait ms |",
                "|---|---|---|---|",
            ]
            for name, job in jobs["jobs"].items():
                lines.append(
                    f"| {name} | {job['seconds']} | {job['result']} | {job['writer_max_wait_ms']}"
                    + (f" ({job['writer_refused']} refused)" if job.get("writer_refused") else "")
                    + " |"
                )
        if memory := s.get("memory"):
            peaks = [w["peak_mb"] for w in memory["workers"]]
            lines += [
                "",
                f"Worker peak resident memory (VmHWM): {', '.join(f'{p} MB' for p in peaks)}"
                f" (target under {WORKER_TARGET_MB} MB).",
            ]
    return "\n".join(lines)


def main() -> None:
    """``python -m bench.report RESULT.json ...``: the table again, from saved results."""
    import json
    import sys
    from pathlib import Path

    results = [json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[1:]]
    print(table(results))


if __name__ == "__main__":
    main()
