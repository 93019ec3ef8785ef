#!/usr/bin/env python3
"""Render bench/run's raw results as markdown and as gnuplot chart data.

    report.py DIR

Reads DIR/latest.tsv (one row per workload x configuration) and DIR/meta.tsv
(key<TAB>value: machine, tool versions, memory run), writes DIR/latest.md
and DIR/chart.dat (tasks/s, one row per workload, one column per
configuration, "?" where a configuration did not run).  Pure formatting: no
number is measured here, every ratio is computed from latest.tsv.
"""
import csv
import sys
from pathlib import Path

# Chart and table order; labels come from latest.tsv.
CONFIG_ORDER = [
    "direct", "lockstep", "lockstep-pin",
    "pp-j1-d1", "pp-j1", "pp-j2-d1", "pp-j2", "pp-j2-mt",
    "xargs", "par-task", "par-pipe", "split",
]
CHART_LABELS = {
    "direct": "direct W (floor)",
    "lockstep": "lockstep",
    "lockstep-pin": "lockstep pinned",
    "pp-j1-d1": "procpool -j1 --depth 1",
    "pp-j1": "procpool -j1",
    "pp-j2-d1": "procpool -j2 --depth 1",
    "pp-j2": "procpool -j2",
    "pp-j2-mt": "procpool -j2 --max-tasks",
    "xargs": "xargs -P2 -n1 (per task)",
    "par-task": "parallel -j2 (per task)",
    "par-pipe": "parallel --pipe",
    "split": "split -n r/2",
}
WORKLOADS = {
    "echo": "C echo worker (getline, fflush per line); tiny tasks `1`..`N` from seq.",
    "sha256": "python3 worker printing the hex SHA-256 of each line (real interpreter, "
              "not a shim); the same tiny tasks.",
    "spin": "C CPU-bound worker, {spin_iters} dependent multiply/xor rounds per task "
            "(calibrated to ~{spin_us} µs on this machine); tiny tasks.",
    "blob": "the seed article's BLOB case: random 1 MiB blobs as base64 lines (1.4 MB each); "
            "the C worker decodes, hashes (FNV-1a 64) and answers a base64 line; "
            "procpool runs with `-b`.",
}
# (peer id, wording) pairs for "procpool -k -j2 (auto) vs ...".
PEERS = [("split", "split -n r/2"), ("par-pipe", "parallel --pipe"),
         ("xargs", "xargs -P2 -n1 per task"), ("par-task", "parallel -j2 per task")]


def fnum(x: str, digits: int = 3) -> str:
    return x if x in ("", "-") else f"{float(x):.{digits}f}"


def rate(x: str) -> str:
    if x in ("", "-"):
        return "-"
    v = float(x)
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def ratio(a: str, b: str) -> str:
    if a in ("", "-") or b in ("", "-") or float(b) == 0:
        return "-"
    v = float(a) / float(b)
    if v >= 10:
        return f"{v:,.0f}×"
    return f"{v:.2f}×" if v >= 0.1 else f"{v:.2g}×"


def table(rows, direct_tps):
    out = ["| configuration | order | tasks | runs | median s | min–max s | tasks/s "
           "| vs direct | peak RSS KiB | status |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        status = r["status"] if r["status"] in ("ok",) else f"**{r['status']}**"
        if r["note"]:
            status += f": {r['note']}"
        order = {"ordered": "kept", "unordered": "none"}.get(r["order"], "-")
        span = "-" if r["min_s"] == "-" else f"{fnum(r['min_s'])}–{fnum(r['max_s'])}"
        out.append(f"| {r['config']} | {order} | {r['tasks']} | {r['runs']} "
                   f"| {fnum(r['median_s'])} | {span} | {rate(r['tasks_per_s'])} "
                   f"| {ratio(r['tasks_per_s'], direct_tps)} | {r['peak_rss_kib']} "
                   f"| {status.replace('|', '/')} |")
    return out


def peer_lines(by_id):
    lines = []
    pp = by_id.get("pp-j2", {}).get("tasks_per_s", "-")
    if pp != "-":
        parts = [f"{ratio(pp, by_id[p]['tasks_per_s'])} {name}"
                 for p, name in PEERS if by_id.get(p, {}).get("tasks_per_s", "-") != "-"]
        if parts:
            lines.append("- procpool -k -j2 (depth auto), tasks/s relative to: "
                         + ", ".join(parts) + " (above 1× = procpool faster).")
    d1 = by_id.get("pp-j1-d1", {}).get("tasks_per_s", "-")
    if d1 != "-":
        parts = [f"{ratio(d1, by_id[p]['tasks_per_s'])} {name}"
                 for p, name in (("lockstep", "lockstep"), ("lockstep-pin", "lockstep pinned"))
                 if by_id.get(p, {}).get("tasks_per_s", "-") != "-"]
        if parts:
            lines.append("- procpool -k -j1 --depth 1 relative to the lock-step floor: "
                         + ", ".join(parts) + ".")
    return lines


def main() -> int:
    d = Path(sys.argv[1])
    with open(d / "latest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    meta = {}
    for line in (d / "meta.tsv").read_text().splitlines():
        k, _, v = line.partition("\t")
        meta[k] = v

    md = [
        "# procpool benchmark results",
        "",
        f"`bench/run` ({meta['mode']} mode), {meta['date']}, took {meta['duration_s']} s. "
        "How to read this: see `bench/README.md`.",
        "",
        f"- machine: {meta['nproc']} CPUs (nproc), {meta['cpu']}, {meta['kernel']}",
        f"- procpool: `{meta['procpool']}` (git {meta['procpool_git']})",
        f"- {meta['parallel']}; {meta['xargs']}; {meta['split']}",
        f"- {meta['python3']}; {meta['cc']}",
        f"- repeats: {meta['repeats']}; times are wall-clock medians of the whole command, "
        "`< tasks > out` redirected from/to files",
        "- vs direct: tasks/s divided by the direct run's tasks/s (one worker, no coordinator); "
        "peak RSS: `/usr/bin/time -f %M` of the coordinator, which is the maximum over it and "
        "the workers it reaped (see README)",
        "",
    ]
    chart = []
    for wl, desc in WORKLOADS.items():
        wrows = [r for r in rows if r["workload"] == wl]
        if not wrows:
            continue
        wrows.sort(key=lambda r: CONFIG_ORDER.index(r["id"]) if r["id"] in CONFIG_ORDER else 99)
        by_id = {r["id"]: r for r in wrows}
        direct_tps = by_id.get("direct", {}).get("tasks_per_s", "-")
        md += [f"## {wl}", "", desc.format(**meta), ""]
        md += table(wrows, direct_tps)
        md += [""] + peer_lines(by_id) + [""]
        chart.append([wl] + [by_id[c]["tasks_per_s"] if c in by_id and by_id[c]["tasks_per_s"] != "-"
                             else "?" for c in CONFIG_ORDER])

    md += ["## memory: 10,000,000 tiny tasks through a pipe", ""]
    if meta["mem_status"] == "ok":
        md += [f"`{meta['mem_cmd']}`", "",
               f"- {float(meta['mem_s']):.1f} s, {int(meta['mem_tps']):,} tasks/s, output checked "
               f"(`seq` order)",
               f"- peak RSS (`/usr/bin/time -f %M`, max over procpool and its workers): "
               f"{meta['mem_rss']} KiB",
               f"- procpool's own VmHWM (sampled from /proc every 50 ms, last sample before exit): "
               f"{meta['mem_hwm']} KiB", ""]
    else:
        md += [f"{meta['mem_status']}: {meta['mem_note']}", ""]

    md += ["## exact commands", "",
           "W is the workload's worker command; `tasks` the input file "
           "(the per-task configurations get the first lines only, see the tasks column).", ""]
    for r in sorted(rows, key=lambda r: (list(WORKLOADS).index(r["workload"])
                                          if r["workload"] in WORKLOADS else 9,
                                          CONFIG_ORDER.index(r["id"]) if r["id"] in CONFIG_ORDER else 99)):
        if r["command"] not in ("", "-"):
            md.append(f"- {r['workload']} / {r['id']}: `{r['command']}`")
    md.append("")
    (d / "latest.md").write_text("\n".join(md))

    with open(d / "chart.dat", "w") as f:
        f.write("workload\t" + "\t".join(f'"{CHART_LABELS[c]}"' for c in CONFIG_ORDER) + "\n")
        for line in chart:
            f.write("\t".join(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
