#!/usr/bin/env python3
"""Render bench/run's raw results as markdown and as gnuplot chart data.

    report.py DIR

Reads DIR/latest.tsv (one row per workload x configuration, or per
workload x group x configuration for the workloads of several groups:
sleep has one per J, blob-size one per worker and record size) and
DIR/meta.tsv (key<TAB>value: machine, tool versions, memory run), writes
DIR/latest.md and DIR/chart.dat (tasks/s of the single-group workloads, one
row per workload, one column per configuration, "?" where a configuration
did not run).  Pure formatting: no number is measured here, every ratio is
computed from latest.tsv.
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
# The workloads of several groups, each group compared with its own direct run.
GROUPED = {
    "blob-size": "Records of 1, 16 and 64 MiB (random bytes, base64 lines), through `bench/build/blobhash` "
                 "(decode, FNV-1a 64) and through the CPU-heavier `examples/sha256.py --base64` (decode, "
                 "SHA-256, answer base64 of the hex digest and a newline); procpool runs with `-b`, so tasks travel as the "
                 "base64 lines they are. MB/s and CPU per MB count the input's bytes (the base64 lines): "
                 "what the coordinator moves. Coordinator CPU and procpool peak RSS are procpool's own "
                 "(`self_cpu_ns`, `self_maxrss_kib` of `--stats-json`), without its workers'; peak RSS "
                 "(tree) is `/usr/bin/time -f %M`, the maximum over the command and its workers.",
    "sleep": "J workers (`workers/sleeper.c`) that each sleep 10 ms per task and answer the line: the work "
             "is nothing, what grows is the number of workers a coordinator watches. The floor (direct) "
             "is J copies of the worker started by a shell, each reading its own file of {sleep_tasks} "
             "lines; procpool gets the J × {sleep_tasks} tasks on stdin. Start-up: from the command's "
             "start until the last of the J workers has written its first answer (each worker stamps "
             "it, `sleeper -s`). Coordinator CPU and peak RSS: procpool's own, from `--stats-json`.",
    "auto": "`-j auto` (with `--max-jobs` the largest fixed size) beside fixed sizes, for three kinds "
            "of worker: `sleeper` waits 10 ms a task (more workers, more throughput), `spin` is "
            "CPU-bound (no gain past the CPUs), `f_tokens 8` (procpool's test worker) holds one of 8 "
            "locks 10 ms a task (no gain past 8). Each fixed size runs on about {auto_s} s of tasks "
            "at the rate it can reach; `-j auto` on {auto_x} times what the best fixed size gets, "
            "since it climbs from the CPU count and its tasks/s include the climb. Held: the size "
            "`-j auto` settled on, and the tasks/s it measured there (`--stats-json` "
            "`jobs_auto.holds`, `tasks_per_s_held`); peak: the most workers alive.",
    "ssh": "The echo worker (C) and the sha256 worker (Python, `/usr/bin/python3` on both sides) "
           "run directly, through procpool on this machine (`-j2`), and through procpool over "
           "ssh to a private sshd on 127.0.0.2 (`-S 2/127.0.0.2`: two workers, sessions on one "
           "master connection procpool opens; the fixture of `tests/sshd.bash`, root only). "
           "Worker start-up: the median from spawn to ready of procpool's workers "
           "(`startup_ns` of `--stats-json`), over ssh a session on the ready master; the "
           "master's own connection is not in it, but is in the wall time.",
}
GROUP_ORDER = ["direct", "halves", "pp-j2", "pp-ssh", "pp-d1", "pp-dauto", "split", "par-pipe"]
BLOB_WORKERS = {"blobhash": "blobhash (C)", "sha256": "examples/sha256.py --base64 (Python)"}
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


def num(x: str) -> float:
    return float(x) if x not in ("", "-") else float("nan")


def per(x: float, digits: int) -> str:
    return "-" if x != x else f"{x:,.{digits}f}"


def status_cell(r) -> str:
    status = r["status"] if r["status"] in ("ok",) else f"**{r['status']}**"
    if r["note"]:
        status += f": {r['note']}"
    return status.replace("|", "/")


def span(r) -> str:
    return "-" if r["min_s"] == "-" else f"{fnum(r['min_s'])}–{fnum(r['max_s'])}"


def groups(rows):
    """Rows by group, in the order the groups first appear, each in GROUP_ORDER."""
    out = {}
    for r in rows:
        out.setdefault(r["group"], []).append(r)
    for g in out.values():
        g.sort(key=lambda r: GROUP_ORDER.index(r["id"]) if r["id"] in GROUP_ORDER else 99)
    return out


def direct_of(g):
    return next((r["tasks_per_s"] for r in g if r["id"] == "direct"), "-")


def ssh_section(rows):
    md = ["## ssh: workers on another host (loopback)", "", GROUPED["ssh"], "",
          "| worker | configuration | tasks | runs | median s | min–max s | tasks/s | vs direct "
          "| vs this machine | worker start-up ms | status |",
          "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for name, g in groups(rows).items():
        d = direct_of(g)
        here = next((r["tasks_per_s"] for r in g if r["id"] == "pp-j2"), "-")
        for r in g:
            su = per(num(r["startup_s"]) * 1e3, 1)
            md.append(f"| {name} | {r['config']} | {r['tasks']} | {r['runs']} "
                      f"| {fnum(r['median_s'])} | {span(r)} | {rate(r['tasks_per_s'])} "
                      f"| {ratio(r['tasks_per_s'], d)} | {ratio(r['tasks_per_s'], here)} "
                      f"| {su} | {status_cell(r)} |")
    return md + [""]


def sleep_section(rows, meta):
    md = ["## sleep: many workers, each asleep 10 ms per task", "",
          GROUPED["sleep"].format(**meta), "",
          "| J | configuration | tasks | runs | median s | min–max s | tasks/s | vs direct "
          "| coordinator CPU µs/task | start-up s | procpool peak RSS KiB | status |",
          "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for name, g in groups(rows).items():
        d = direct_of(g)
        for r in g:
            cpu = num(r["coord_cpu_s"]) * 1e6 / num(r["tasks"])
            md.append(f"| {name.lstrip('j')} | {r['config']} | {r['tasks']} | {r['runs']} "
                      f"| {fnum(r['median_s'])} | {span(r)} | {rate(r['tasks_per_s'])} "
                      f"| {ratio(r['tasks_per_s'], d)} | {per(cpu, 1)} | {fnum(r['startup_s'])} "
                      f"| {r['self_rss_kib']} | {status_cell(r)} |")
    return md + [""]


def auto_section(rows, meta):
    md = ["## auto: -j auto beside fixed sizes", "", GROUPED["auto"].format(**meta), "",
          "| worker | configuration | tasks | runs | median s | tasks/s | vs best fixed "
          "| peak workers | held | tasks/s held | held vs best fixed | coordinator CPU µs/task "
          "| status |",
          "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for name, g in groups(rows).items():
        fixed = [num(r["tasks_per_s"]) for r in g if r["id"] != "pp-auto" and r["tasks_per_s"] != "-"]
        best = max(fixed) if fixed else "-"
        for r in sorted(g, key=lambda r: (r["id"] != "direct", r["id"] == "pp-auto", num(r["tasks"]))):
            cpu = num(r["coord_cpu_s"]) * 1e6 / num(r["tasks"])
            md.append(f"| {name} | {r['config']} | {r['tasks']} | {r['runs']} | {fnum(r['median_s'])} "
                      f"| {rate(r['tasks_per_s'])} | {ratio(r['tasks_per_s'], best)} "
                      f"| {r.get('workers_peak', '-')} | {r.get('auto_holds', '-')} "
                      f"| {rate(r.get('auto_held_tps', '-'))} | {ratio(r.get('auto_held_tps', '-'), best)} "
                      f"| {per(cpu, 1)} "
                      f"| {status_cell(r)} |")
    return md + [""]


def size_label(size: str) -> str:
    return size.replace("MiB", " MiB").replace("MB", " MB")


def blob_size_section(rows):
    """A table per worker, a group per record size; groups of a size in MB
    (not MiB) are single records, one line each for procpool's peak RSS."""
    by_group = groups(rows)
    md = ["## blob sizes: records of 1 MiB to 64 MiB", "", GROUPED["blob-size"], ""]
    for worker in dict.fromkeys(name.split(".")[0] for name in by_group):
        md += [f"### {BLOB_WORKERS.get(worker, worker)}", "",
               "| record | configuration | tasks | runs | median s | min–max s | tasks/s | MB/s "
               "| vs direct | coordinator CPU ms/MB | procpool peak RSS KiB | peak RSS KiB (tree) "
               "| status |",
               "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
        for name, g in by_group.items():
            w, _, size = name.partition(".")
            if w != worker or not size.endswith("MiB"):
                continue
            d = direct_of(g)
            for r in g:
                mb = num(r["bytes"]) / 1e6
                md.append(f"| {size_label(size)} | {r['config']} | {r['tasks']} "
                          f"| {r['runs']} | {fnum(r['median_s'])} | {span(r)} "
                          f"| {rate(r['tasks_per_s'])} | {per(mb / num(r['median_s']), 0)} "
                          f"| {ratio(r['tasks_per_s'], d)} | {per(num(r['coord_cpu_s']) * 1e3 / mb, 2)} "
                          f"| {r['self_rss_kib']} | {r['peak_rss_kib']} | {status_cell(r)} |")
        md.append("")
    for name, g in by_group.items():
        w, _, size = name.partition(".")
        if size.endswith("MiB"):
            continue
        for r in (r for r in g if r["id"] == "pp-j2"):
            what = f"- one {size_label(size)} record through {w}, `{r['config']}`"
            if r["status"] != "ok":
                md.append(f"{what}: {status_cell(r)}")
                continue
            b, kib = int(r["bytes"]), int(r["self_rss_kib"])
            md.append(f"{what} ({b:,} bytes of base64 line, {fnum(r['median_s'])} s): procpool's "
                      f"own peak RSS {kib:,} KiB = **{kib * 1024 / b:.2f}×** the record.")
    return md + [""]


def table(rows, direct_tps):
    out = ["| configuration | order | tasks | runs | median s | min–max s | tasks/s "
           "| vs direct | peak RSS KiB | status |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        order = {"ordered": "kept", "unordered": "none"}.get(r["order"], "-")
        out.append(f"| {r['config']} | {order} | {r['tasks']} | {r['runs']} "
                   f"| {fnum(r['median_s'])} | {span(r)} | {rate(r['tasks_per_s'])} "
                   f"| {ratio(r['tasks_per_s'], direct_tps)} | {r['peak_rss_kib']} "
                   f"| {status_cell(r)} |")
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

    grouped = {wl: [r for r in rows if r["workload"] == wl] for wl in GROUPED}
    if grouped["blob-size"]:
        md += blob_size_section(grouped["blob-size"])
    if grouped["sleep"]:
        md += sleep_section(grouped["sleep"], meta)
    if grouped["auto"]:
        md += auto_section(grouped["auto"], meta)
    if grouped["ssh"]:
        md += ssh_section(grouped["ssh"])

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
    order = list(WORKLOADS) + list(GROUPED)
    for r in sorted(rows, key=lambda r: (order.index(r["workload"]) if r["workload"] in order else 99,
                                          CONFIG_ORDER.index(r["id"]) if r["group"] == "-"
                                          and r["id"] in CONFIG_ORDER else 99)):
        if r["command"] not in ("", "-"):
            where = r["workload"] if r["group"] == "-" else f"{r['workload']} / {r['group']}"
            md.append(f"- {where} / {r['id']}: `{r['command']}`")
    md.append("")
    (d / "latest.md").write_text("\n".join(md))

    with open(d / "chart.dat", "w") as f:
        f.write("workload\t" + "\t".join(f'"{CHART_LABELS[c]}"' for c in CONFIG_ORDER) + "\n")
        for line in chart:
            f.write("\t".join(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
