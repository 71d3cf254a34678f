#!/usr/bin/env python3
"""The table of scripts/bench.sh, from the files its guest side leaves in DIR.

    table.py DIR [--json FILE]
    table.py --boots DIR... [--json FILE]

Reads, in DIR (WHO is iscsi-init or open-iscsi, or with --ab ours-a and
ours-b; REP counts from 1):

  fio-WHO-JOB-rREP.json  fio --output-format=json of one run
  cpu-WHO-JOB-rREP.txt   USER_HZ ("clk_tck N") and the change of each field
                         of the /proc/stat "cpu " line over that run
                         ("delta cpu ..."; the lines before and after follow)
  iperf3.json            iperf3 -J over loopback
  bench-run.txt          the run's settings, key=value (jobs, reps, cpus, ...)
  perf-WHO-JOB.txt       with --perf: the profile of one more run (optional)
  perf-fio-WHO-JOB.json  with --perf: fio --output-format=json of that run
  switches-WHO-JOB-N.txt with --perf: every thread's context switches before
                         (N=0) and after (1) that run

and prints the table on stdout, with the goals of issue 9 that apply to
the run and whether its ratios meet them after the iperf3 lines; with
--json, writes the medians, spreads, ratios and goals to FILE. Each figure
of a job and initiator is the median over the reps that have it; a missing
or unreadable file leaves that rep out, and a figure with no rep left is
n/a. With --boots, the DIRs are the boots of one scripts/bench.sh --boots
N run: it prints each boot's ratios and their median over the boots, and
judges the goals on those medians, with the number of boots whose own
figure met each. A run of scripts/bench.sh --ab SETTING (bench-run.txt's
"ab") compares our two sides instead: ratios b / a, no goal.
Documentation/performance.rst describes the columns.
Standard library only.
"""
import argparse
import collections
import glob
import json
import os
import re
import statistics
import sys

WHO = ("iscsi-init", "open-iscsi")
# The sides of an --ab run: our disks as the boot found them, and with the
# setting.
WHO_AB = ("ours-a", "ours-b")
# The order of scripts/bench/jobs.sh, for runs that left no bench-run.txt.
ORDER = ["4k-randread-qd1", "4k-randread-qd32", "4k-randwrite-qd1", "4k-randwrite-qd32",
         "128k-read-qd8", "128k-write-qd8", "1m-read-qd8", "1m-write-qd8"]
# (key, column heading, column width, decimals)
FIGURES = [
    ("iops", "IOPS", 9, 0),
    ("mib_s", "MiB/s", 9, 1),
    ("p50_us", "p50 µs", 9, 0),
    ("p99_us", "p99 µs", 9, 0),
    ("p99_9_us", "p99.9 µs", 10, 0),
    ("slat_us", "slat µs", 9, 1),
    ("cpu_us_per_io", "CPU µs/IO", 10, 1),
]
# Fields of the /proc/stat "cpu " line after its name: user nice system idle
# iowait irq softirq steal guest guest_nice. Busy time is all but idle and
# iowait; guest and guest_nice are already counted in user and nice.
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)
RUN_FILE = re.compile(r"^fio-(" + "|".join(WHO + WHO_AB) + r")-(.+)-r([0-9]+)\.json$")


def sides(params):
    """The two sides of a run, in the table's order, and the pair whose
    ratio it shows (numerator, denominator): ours / open-iscsi, or with
    --ab side b / side a."""
    if params.get("ab"):
        return WHO_AB, ("ours-b", "ours-a")
    return WHO, WHO


def side_heading(who_list):
    """The heading of the column that names the side of each row."""
    return "side" if who_list == WHO_AB else "initiator"


def load_fio(path):
    """Figures of one fio run: IOPS, MiB/s and I/Os summed over its jobs
    (one per disk; with group_reporting one in all), total latency
    percentiles (fio's lat_ns: submission plus completion, which
    --lat_percentiles=1 asks for) of the first job's busier direction, and
    the mean submission latency (slat_ns). None if the file is unusable."""
    try:
        with open(path) as f:
            text = f.read()
        # fio can print a note before the JSON document.
        doc = json.loads(text[text.index("{"):])
        jobs = doc["jobs"]
        iops = bw = ios = 0
        for job in jobs:
            for side in (job.get("read", {}), job.get("write", {})):
                iops += side.get("iops", 0)
                bw += side.get("bw_bytes", 0)
                ios += side.get("total_ios", 0)
        busier = max((jobs[0].get("read", {}), jobs[0].get("write", {})),
                     key=lambda side: side.get("total_ios", 0))
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    # Total latency, not fio's completion latency (clat_ns): where an
    # initiator sends the command before io_submit() returns (our work item
    # runs at the syscall's return to user space), the send is counted in
    # fio's submission latency and left out of clat, which would then favour
    # that initiator. A run without lat_ns percentiles has no latency figures.
    pct = busier.get("lat_ns", {}).get("percentile", {})

    def us(key):
        return pct[key] / 1000.0 if key in pct else None

    slat = busier.get("slat_ns", {}).get("mean")
    return {"iops": iops, "mib_s": bw / 1048576.0, "ios": ios,
            "p50_us": us("50.000000"), "p99_us": us("99.000000"), "p99_9_us": us("99.900000"),
            "slat_us": slat / 1000.0 if isinstance(slat, (int, float)) else None}


def load_cpu_file(path):
    """{key: [field, ...]} of the lines of a run's cpu-*.txt file ("key
    rest..."), or {} when it cannot be read."""
    lines = {}
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.strip().partition(" ")
                lines[key] = rest.split()
    except OSError:
        return {}
    return lines


def load_cpu_us(lines):
    """Busy guest CPU time (µs, all CPUs together) over one run, from the
    "delta" line of its cpu-*.txt file (as load_cpu_file reads it), or
    None."""
    try:
        clk_tck = int(lines["clk_tck"][0])
        delta = lines["delta"]
        if delta[0] != "cpu":
            return None
        ticks = sum(int(delta[1 + i]) for i in BUSY_FIELDS)
    except (ValueError, KeyError, IndexError):
        return None
    return ticks * 1e6 / clk_tck


# Wake-up counts of a run's cpu-*.txt file: (key there, column heading).
WAKEUPS = [("ctxt", "cs"), ("ipi_res", "RES IPI"), ("ipi_cal", "CAL IPI")]


def load_wakeups(lines):
    """{key: count over the run} of WAKEUPS from a cpu-*.txt file (as
    load_cpu_file reads it); the keys the file lacks (a run of an older
    bench) are left out."""
    try:
        return {key: int(lines[key][0]) for key, _ in WAKEUPS if key in lines}
    except (ValueError, IndexError):
        return {}


def wakeup_lines(runs, jobs, who_list=WHO):
    """Per job and side (WHO_LIST), the median over the reps of each
    wake-up count per I/O; [] when no run has them."""
    rows = []
    for job in jobs:
        for who in who_list:
            per_io = {}
            for key, _ in WAKEUPS:
                values = [r["wakeups"][key] / r["ios"] for r in runs.get((job, who), [])
                          if key in r["wakeups"] and r["ios"] > 0]
                if values:
                    per_io[key] = statistics.median(values)
            if per_io:
                rows.append((job, who, per_io))
    if not rows:
        return []
    jw = max([20] + [len(job) for job, _, _ in rows])
    hdr = f"{'job':<{jw}} {side_heading(who_list):<10} " + "".join(f"{h:>10}" for _, h in WAKEUPS)
    lines = [
        "",
        "wake-ups per I/O (median over the reps): context switches (/proc/stat ctxt), rescheduling and",
        "function-call IPIs (/proc/interrupts RES, CAL), all CPUs; each run's I/Os are fio's",
        hdr, "-" * len(hdr),
    ]
    for job, who, per_io in rows:
        lines.append(f"{job:<{jw}} {who:<10} " +
                     "".join(f"{per_io[key]:>10.2f}" if key in per_io else f"{'n/a':>10}" for key, _ in WAKEUPS))
    return lines


# Commands of a --perf profile, by who runs them: LIO's per-connection
# threads; ours (receive, transmit and error-handling threads) and the
# kworkers, which run our transmit work item and open-iscsi's iscsi_q_N
# work (and a little unrelated work); fio; swapper is the idle task.
PROFILE_PARTS = [
    ("idle", "idle", lambda c: c == "swapper"),
    ("fio", "fio", lambda c: c == "fio"),
    ("target", "LIO", lambda c: c in ("iscsi_trx", "iscsi_ttx")),
    ("initiator", "initiator",
     lambda c: c.startswith(("iscsi_rx/", "iscsi_tx/", "iscsi_eh/", "kworker/"))),
]


def load_profile(out, job, who, cpus):
    """Where the guest's time went in the --perf run of JOB through WHO
    (perf-WHO-JOB.txt, with fio's perf-fio-WHO-JOB.json): IOPS of that run
    (as load_fio reads them) and, per part of PROFILE_PARTS
    plus "rest" (every other command, those under perf report's 1 % limit
    included), µs of CPU time per I/O over all CPUS CPUs (idle too). None
    without a usable profile."""
    run = load_fio(os.path.join(out, f"perf-fio-{who}-{job}.json"))
    try:
        with open(os.path.join(out, f"perf-{who}-{job}.txt"), encoding="utf-8") as f:
            text = f.read()
        section = text.split("## by command\n", 1)[1].split("\n##", 1)[0]
        shares = {}
        for line in section.strip().splitlines():
            pct, comm = line.split(None, 1)
            comm = comm.strip()
            shares[comm] = shares.get(comm, 0.0) + float(pct.rstrip("%"))
    except (OSError, IndexError, ValueError):
        return None
    if run is None or run["iops"] <= 0 or not shares:
        return None
    per_io = cpus * 1e6 / run["iops"] / 100.0
    prof = {"iops": run["iops"]}
    left = 100.0
    for key, _, match in PROFILE_PARTS:
        pct = sum(v for c, v in shares.items() if match(c))
        prof[key] = pct * per_io
        left -= pct
    prof["rest"] = max(left, 0.0) * per_io
    return prof


def profile_lines(out, jobs, cpus):
    """The --perf table, or [] when the run left no profile."""
    rows = []
    for job in jobs:
        for who in WHO:
            prof = load_profile(out, job, who, cpus)
            if prof is not None:
                rows.append((job, who, prof))
    if not rows:
        return []
    jw = max([20] + [len(job) for job, _, _ in rows])
    parts = PROFILE_PARTS + [("rest", "rest", None)]
    hdr = f"{'job':<{jw}} {'initiator':<10} " + f"{'IOPS':>9} " + "".join(f"{h:>11}" for _, h, _ in parts)
    lines = [
        "",
        "--perf: one more run of each job per initiator under perf record -a (not in the table above);",
        f"µs of guest CPU time per I/O over its {cpus} vCPUs, by command: idle (no task ran), fio, LIO (iscsi_trx,",
        "iscsi_ttx), initiator (ours: iscsi_rx/N, iscsi_tx/N, iscsi_eh/N; every kworker: our transmit work item,",
        "open-iscsi's iscsi_q_N), rest; softirq work (TCP receive, a data_ready callback) counts in the thread it interrupted",
        hdr, "-" * len(hdr),
    ]
    for job, who, prof in rows:
        lines.append(f"{job:<{jw}} {who:<10} " + f"{prof['iops']:>9.0f} " +
                     "".join(f"{prof[key]:>11.1f}" for key, _, _ in parts))
    return lines


def thread_group(comm):
    """The row of a thread's command in the context switch table: the
    command without its instance number (iscsi_rx/3 is iscsi_rx; a kworker
    is named by the workqueue of its last work: kworker/0:1-iscsi_init
    is kworker (iscsi_init), one that ran none is kworker)."""
    if comm.startswith("kworker/"):
        _, dash, wq = comm.partition("-")
        return f"kworker ({wq})" if dash else "kworker"
    return re.sub(r"/[0-9]+$", "", comm)


def load_switches(path):
    """{TID: (switches, command)} of a switches-*.txt snapshot, with TID
    "ctxt" for /proc/stat's count of every CPU; {} when unreadable."""
    snap = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                tid, count, comm = line.rstrip("\n").split(" ", 2)
                snap[tid] = (int(count), comm)
    except (OSError, ValueError):
        return {}
    return snap


def switch_lines(out, jobs):
    """With --perf: context switches per I/O of the --perf run of each job
    and initiator, by thread group (thread_group), from the switches-WHO-JOB-0
    and -1 snapshots around it and the I/Os of perf-fio-WHO-JOB.json. The
    row "idle, exited" is /proc/stat's count less every listed thread's:
    the idle task's switches to a woken thread, and those of the threads
    that exited before the second snapshot, fio's job process among them
    (1-2 per I/O at QD1). [] without snapshots."""
    blocks = []
    for job in jobs:
        for who in WHO:
            before = load_switches(os.path.join(out, f"switches-{who}-{job}-0.txt"))
            after = load_switches(os.path.join(out, f"switches-{who}-{job}-1.txt"))
            run = load_fio(os.path.join(out, f"perf-fio-{who}-{job}.json"))
            if "ctxt" not in before or "ctxt" not in after or run is None or run["ios"] <= 0:
                continue
            groups = {}
            tasks = 0
            for tid, (count, comm) in after.items():
                if tid == "ctxt":
                    continue
                # A thread born during the run counts from 0.
                d = count - before.get(tid, (0, comm))[0]
                if d > 0:
                    group = thread_group(comm)
                    groups[group] = groups.get(group, 0) + d
                    tasks += d
            total = after["ctxt"][0] - before["ctxt"][0]
            groups["idle, exited"] = max(total - tasks, 0)
            top = sorted(groups.items(), key=lambda kv: -kv[1])
            shown = [(g, n) for g, n in top if n / run["ios"] >= 0.05]
            rest = sum(n for g, n in top) - sum(n for _, n in shown)
            cells = ", ".join(f"{g} {n / run['ios']:.2f}" for g, n in shown)
            blocks.append(f"{job:<20} {who:<10} {total / run['ios']:6.2f} = {cells}"
                          + (f", rest {rest / run['ios']:.2f}" if rest else ""))
    if not blocks:
        return []
    return ["", "--perf: context switches per I/O of that run, all and by thread (/proc/PID/task/TID/status; a",
            "kworker named by the workqueue of its last work; idle, exited: the idle task's switches to a woken",
            "thread and those of threads gone by the end, fio's job among them; rows under 0.05 per I/O in rest)"] + blocks


def load_params(out):
    params = {}
    try:
        with open(os.path.join(out, "bench-run.txt")) as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    params[key] = value
    except OSError:
        pass
    return params


def load_runs(out):
    """{(job, who): [run, ...]} with every fio run found in DIR."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "fio-*.json"))):
        m = RUN_FILE.match(os.path.basename(path))
        if not m:
            continue
        who, job, rep = m.group(1), m.group(2), m.group(3)
        run = load_fio(path)
        if run is None:
            continue
        cpu = load_cpu_file(os.path.join(out, f"cpu-{who}-{job}-r{rep}.txt"))
        cpu_us = load_cpu_us(cpu)
        run["cpu_us_per_io"] = cpu_us / run["ios"] if cpu_us is not None and run["ios"] > 0 else None
        run["wakeups"] = load_wakeups(cpu)
        runs.setdefault((job, who), []).append(run)
    return runs


def summarize(runs):
    """Median, min and max of each figure over the runs that have it."""
    s = {"runs": len(runs)}
    for key, *_ in FIGURES:
        values = [r[key] for r in runs if r[key] is not None]
        s[key] = ({"median": statistics.median(values), "min": min(values), "max": max(values)}
                  if values else None)
    return s


def compare(ours, theirs):
    """Ratio ours/theirs of each figure's median, and whether the two
    min..max ranges overlap (within noise)."""
    r = {}
    for key, *_ in FIGURES:
        a, b = ours.get(key), theirs.get(key)
        if a is None or b is None or b["median"] == 0:
            r[key] = None
        else:
            r[key] = {"ratio": a["median"] / b["median"],
                      "within_noise": max(a["min"], b["min"]) <= min(a["max"], b["max"])}
    return r


def iperf3_rate(out):
    """(Gbit/s, MiB/s) received over loopback, or None."""
    try:
        with open(os.path.join(out, "iperf3.json")) as f:
            bps = json.load(f)["end"]["sum_received"]["bits_per_second"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return bps / 1e9, bps / 8 / 1048576.0


# Issue 9's goals of the default run (Documentation/performance.rst,
# "Goals"): (which jobs, by name; the figure's key; the bound of its ratio;
# "min" or "max"). The iperf3 goal is IPERF3_GOAL.
GOALS_DEFAULT = [
    (lambda j: j.endswith("-qd1"), "iops", 1.25, "min"),
    (lambda j: j.endswith("-qd1"), "p50_us", 0.8, "max"),
    (lambda j: j.endswith("-qd1"), "p99_us", 0.8, "max"),
    (lambda j: j.startswith("4k-") and j.endswith("-qd32"), "iops", 1.5, "min"),
    (lambda j: j.startswith(("128k-", "1m-")), "iops", 1.2, "min"),
    (lambda j: True, "cpu_us_per_io", 0.8, "max"),
]
GOAL_NAMES = {"iops": "IOPS", "p50_us": "p50", "p99_us": "p99", "cpu_us_per_io": "CPU/IO"}
IPERF3_GOAL = 90.0  # 1m-read-qd8 MiB/s in % of iperf3's, at least


def goal_specs(params, jobs):
    """The goals of issue 9 that apply to this run, as (job, figure key,
    bound, "min" or "max"); the key "iperf3" is 1m-read-qd8's MiB/s in % of
    iperf3's. The default run has the QD1, QD32, large-block, iperf3 and CPU
    goals; --digests has IOPS >= 1.2 for every job; --sessions 4 --luns 2
    has IOPS >= 1.5 for its aggregate job. Other variants (--tx,
    --rx-depth, ...) are judged as the default or scaling run they vary;
    a scaling run of another layout has no goal, nor has an --ab run."""
    specs = []
    if params.get("ab"):
        return specs
    if any(j.startswith("scale-") for j in jobs):
        return [(j, "iops", 1.5, "min") for j in jobs if j.startswith("scale-4x2-")]
    digests = params.get("digests", "None") not in ("None", "")
    for job in jobs:
        if digests:
            specs.append((job, "iops", 1.2, "min"))
            continue
        specs += [(job, key, bound, kind) for test, key, bound, kind in GOALS_DEFAULT if test(job)]
        if job == "1m-read-qd8":
            specs.append((job, "iperf3", IPERF3_GOAL, "min"))
    return specs


def goal_text(key, bound, kind):
    if key == "iperf3":
        return f"≥ {bound:.0f} % of iperf3"
    return f"{GOAL_NAMES[key]} {'≥' if kind == 'min' else '≤'} {bound}×"


def goal_met(value, bound, kind):
    return value >= bound if kind == "min" else value <= bound


def figure_text(key, value, unit=True):
    if key == "iperf3":
        return f"{value:.1f} %" if unit else f"{value:.1f}"
    return f"{value:.2f}"


def ratio_of(results, pct_iperf3, job, key):
    """(value, within noise) of a goal's figure in one run, or None."""
    if key == "iperf3":
        pct = pct_iperf3.get("iscsi-init")
        return None if pct is None else (pct, False)
    r = results.get(job, {}).get("ratio", {}).get(key)
    return None if r is None else (r["ratio"], r["within_noise"])


def goal_rows(params, jobs, results, pct_iperf3):
    """Each goal that applies to this run: (job, goal text, figure text,
    met or None, within noise)."""
    rows = []
    for job, key, bound, kind in goal_specs(params, jobs):
        v = ratio_of(results, pct_iperf3, job, key)
        if v is None:
            rows.append((job, goal_text(key, bound, kind), "n/a", None, False))
        else:
            rows.append((job, goal_text(key, bound, kind), figure_text(key, v[0]), goal_met(v[0], bound, kind), v[1]))
    return rows


def goal_lines(rows):
    if not rows:
        return []
    met = sum(1 for r in rows if r[3])
    lines = ["", "goals of issue 9 (Documentation/performance.rst, \"Goals\"), judged on the ratios of the medians above;",
             "~: that ratio is within noise, so its verdict is too",
             f"{'job':<28} {'goal':<20} {'figure':>9}  verdict", "-" * 70]
    for job, text, fig, ok, noise in rows:
        verdict = "n/a" if ok is None else ("met" if ok else "not met")
        lines.append(f"{job:<28} {text:<20} {fig:>9}{'~' if noise else ' '} {verdict}")
    lines.append(f"{met} of {len(rows)} goals met")
    return lines


def cell(text, width, mark=" "):
    """A right-aligned column, with one more character for the noise mark."""
    return f"{text:>{width}}{mark}"


def spread(s):
    iops = s.get("iops")
    if iops is None or iops["median"] == 0:
        return "n/a"
    m = iops["median"]
    return f"-{(m - iops['min']) / m * 100:.1f}/+{(iops['max'] - m) / m * 100:.1f}%"


def plural(n, word):
    return f"{n} {word}" + ("" if n == "1" else "s")


Analysis = collections.namedtuple("Analysis", "params runs jobs results rate pct_iperf3 who")


def analyze(out):
    """The Analysis of the run whose files are in OUT: its settings, fio
    runs, jobs, per-job summaries and ratios, iperf3's (Gbit/s, MiB/s),
    1M reads in % of iperf3 per side, and its sides (sides())."""
    params = load_params(out)
    runs = load_runs(out)
    jobs = params["jobs"].split() if params.get("jobs") else []
    found = {job for job, _ in runs}
    jobs += [j for j in ORDER if j in found and j not in jobs]
    jobs += sorted(found - set(jobs))

    who, (num, den) = sides(params)
    results = {}
    for job in jobs:
        res = {w: summarize(runs.get((job, w), [])) for w in who}
        res["ratio"] = compare(res[num], res[den])
        results[job] = res
    rate = iperf3_rate(out)
    pct_iperf3 = {}
    if "1m-read-qd8" in results:
        for w in who:
            v = results["1m-read-qd8"][w]["mib_s"]
            pct_iperf3[w] = v["median"] / rate[1] * 100 if v is not None and rate and rate[1] > 0 else None
    return Analysis(params, runs, jobs, results, rate, pct_iperf3, who)


# The figures of the summary over boots: the goals' ones.
BOOT_FIGURES = [("iops", "IOPS"), ("p50_us", "p50"), ("p99_us", "p99"), ("cpu_us_per_io", "CPU/IO")]


def boots_main(dirs, json_path):
    """The summary of scripts/bench.sh --boots N: each boot's ratios, and
    their median over the boots, which is what the goals are judged on.
    Boot-to-boot noise is larger than the noise between the reps of one
    boot (Documentation/performance.rst), so a goal met in every boot is
    evidence, one met by the median alone is not."""
    boots = [analyze(d) for d in dirs]
    params = boots[0].params
    jobs = []
    for b in boots:
        jobs += [j for j in b.jobs if j not in jobs]
    n = len(boots)
    ab = params.get("ab")
    lines = [
        (f"iscsi-init with {ab} (b) against as the boot found it (a)" if ab else "iscsi-init against open-iscsi") +
        f" over {n} guest boots, each as in the table of one boot "
        f"(kernel {params.get('kernel', '?')} ({params.get('flavour', '?')}), {params.get('reps', '?')} reps interleaved, "
        f"digests {params.get('digests', '?')}, {params.get('sessions', '?')} x {params.get('luns', '?')}, "
        f"iscsi-init sends {params.get('tx', 'work')})",
        f"each boot's ratio is that of its medians ({'b / a' if ab else 'ours / open-iscsi'}); median and range: over the boots",
        "",
    ]
    jw = max([20] + [len(j) for j in jobs])
    hdr = f"{'job':<{jw}} {'figure':<7} {'median':>7} {'range':>13}   " + " ".join(f"{'boot ' + str(i + 1):>7}" for i in range(n))
    lines += [hdr, "-" * len(hdr)]
    summary = {}
    for job in jobs:
        summary[job] = {}
        for key, name in BOOT_FIGURES + [("iperf3", "iperf3%")]:
            if key == "iperf3" and job != "1m-read-qd8":
                continue
            per = [ratio_of(b.results, b.pct_iperf3, job, key) for b in boots]
            vals = [v[0] for v in per if v is not None]
            if not vals:
                continue
            med = statistics.median(vals)
            summary[job][key] = {"median": med, "min": min(vals), "max": max(vals),
                                 "boots": [None if v is None else v[0] for v in per]}
            cells = " ".join(f"{'n/a' if v is None else figure_text(key, v[0], False):>7}" for v in per)
            rng = f"{figure_text(key, min(vals), False)}..{figure_text(key, max(vals), False)}"
            lines.append(f"{job:<{jw}} {name:<7} {figure_text(key, med, False):>7} {rng:>13}   {cells}")
    rates = [b.rate for b in boots]
    lines += ["", "iperf3 over guest loopback, Gbit/s per boot: " +
              " ".join("n/a" if r is None else f"{r[0]:.2f}" for r in rates)]

    goals = []
    specs = goal_specs(params, jobs)
    if specs:
        lines += ["", "goals of issue 9 (Documentation/performance.rst, \"Goals\"), judged on the median over the boots;",
                  "boots: in how many of the boots that ran the job that boot's figure met the goal",
                  f"{'job':<28} {'goal':<20} {'median':>9}  {'verdict':<8} boots", "-" * 76]
        for job, key, bound, kind in specs:
            f = summary.get(job, {}).get(key)
            text = goal_text(key, bound, kind)
            if f is None:
                lines.append(f"{job:<28} {text:<20} {'n/a':>9}  n/a")
                goals.append({"job": job, "goal": text, "median": None, "met": None, "boots_met": 0, "boots": 0})
                continue
            ok = goal_met(f["median"], bound, kind)
            had = [v for v in f["boots"] if v is not None]
            k = sum(1 for v in had if goal_met(v, bound, kind))
            lines.append(f"{job:<28} {text:<20} {figure_text(key, f['median']):>9}  "
                         f"{'met' if ok else 'not met':<8} {k} of {len(had)}")
            goals.append({"job": job, "goal": text, "median": f["median"], "met": ok, "boots_met": k,
                          "boots": len(had)})
        lines.append(f"{sum(1 for g in goals if g['met'])} of {len(goals)} goals met by the median, "
                     f"{sum(1 for g in goals if g['boots'] and g['boots_met'] == g['boots'])} in every boot that ran the job")
    print("\n".join(line.rstrip() for line in lines))
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"params": params, "dirs": dirs, "ratios": summary, "goals": goals,
                       "iperf3_gbit_s": [None if r is None else r[0] for r in rates]}, fh, indent=1, sort_keys=True)
            fh.write("\n")


def utf8_stdout():
    """The table's µ and ≥ in UTF-8 whatever the locale (a redirected
    stdout, as in the unit tests, is left as it is)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description="The table of scripts/bench.sh.")
    ap.add_argument("dirs", nargs="+", metavar="DIR", help="the guest's /out (out/bench on the host)")
    ap.add_argument("--boots", action="store_true",
                    help="the summary over the boots whose DIRs are given (scripts/bench.sh --boots N)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = ap.parse_args()
    if args.boots:
        utf8_stdout()
        boots_main(args.dirs, args.json)
        return
    if len(args.dirs) != 1:
        ap.error("one DIR, or --boots")
    args.dir = args.dirs[0]
    params, runs, jobs, results, rate, pct_iperf3, who_list = analyze(args.dir)
    reps = params.get("reps", "?")
    ab = params.get("ab")

    lines = [
        f"iscsi-init A/B: ours-a, our disks as the boot found them, against ours-b, with {ab}, on the LIO ramdisk LUNs"
        if ab else
        "iscsi-init (ours) against open-iscsi iscsi_tcp (theirs), both logged in to the same LIO ramdisk LUNs",
        f"in one guest boot: kernel {params.get('kernel', '?')} ({params.get('flavour', '?')}), "
        f"fio {params.get('runtime', '?')} s per run, {reps} reps interleaved, digests {params.get('digests', '?')}, "
        f"{plural(params.get('sessions', '?'), 'session')} x {plural(params.get('luns', '?'), 'LUN')} per initiator, "
        f"iscsi-init sends {params.get('tx', 'work')}, receive thread from depth {params.get('rx_depth', '?')}, rx_lowat {params.get('rx_lowat', '?')}, tx_highpri {params.get('tx_highpri', '?')}",
        f"LIO's connection threads on vCPU {params.get('lio_cpus', '?')}, fio's jobs on "
        + ("any vCPU (where the scheduler puts them)" if params.get("fio_cpu", "any") == "any"
           else f"vCPU {params['fio_cpu']} (--fio-cpu)"),
        "figures: median over the reps; spread: lowest and highest IOPS over the reps, in % of the median;",
        "runs: reps with a result; latency: fio total latency (submission + completion); slat: mean submission latency;",
        "CPU µs/IO: busy guest CPU time per I/O",
        f"ratio = {'ours-b / ours-a' if ab else 'iscsi-init / open-iscsi'} (better above 1 for IOPS and MiB/s, below 1 for latency and CPU)",
        f"~ after a ratio: within noise (the min..max ranges of the two {'sides' if ab else 'initiators'} over the reps overlap)",
        "",
    ]
    jw = max([20] + [len(job) for job in jobs])
    hdr = f"{'job':<{jw}} {side_heading(who_list):<10} " + cell("IOPS", 9) + f"{'spread':>13} " + \
        "".join(cell(h, w) for key, h, w, _ in FIGURES[1:]) + f"{'runs':>5}"
    lines += [hdr, "-" * len(hdr)]
    for job in jobs:
        res = results[job]
        for who in who_list:
            s = res[who]

            def fig(key, w, d):
                v = s[key]
                return cell("n/a" if v is None else f"{v['median']:.{d}f}", w)

            lines.append(f"{job:<{jw}} {who:<10} " + fig("iops", 9, 0) + f"{spread(s):>13} " +
                         "".join(fig(key, w, d) for key, _, w, d in FIGURES[1:]) +
                         f"{str(s['runs']) + '/' + reps:>5}")

        def ratio(key, w):
            r = res["ratio"][key]
            return cell("n/a", w) if r is None else cell(f"{r['ratio']:.2f}", w, "~" if r["within_noise"] else " ")

        lines.append(f"{job:<{jw}} {'ratio':<10} " + ratio("iops", 9) + f"{'':>13} " +
                     "".join(ratio(key, w) for key, _, w, _ in FIGURES[1:]))

    lines.append("")
    if rate is None:
        lines.append("iperf3 over guest loopback (127.0.0.1, one stream): n/a")
    else:
        lines.append(f"iperf3 over guest loopback (127.0.0.1, one stream): {rate[0]:.2f} Gbit/s = {rate[1]:.1f} MiB/s")
    if "1m-read-qd8" in results:
        lines.append("1m-read-qd8 MiB/s in % of iperf3's: " + ", ".join(
            f"{who} " + ("n/a" if pct_iperf3[who] is None else f"{pct_iperf3[who]:.1f} %") for who in who_list))
    goals = goal_rows(params, jobs, results, pct_iperf3)
    lines += goal_lines(goals)
    lines += wakeup_lines(runs, jobs, who_list)
    try:
        cpus = int(params.get("cpus", ""))
    except ValueError:
        cpus = None
    if cpus:
        lines += profile_lines(args.dir, jobs, cpus)
    lines += switch_lines(args.dir, jobs)
    utf8_stdout()
    print("\n".join(line.rstrip() for line in lines))

    if args.json:
        doc = {
            "params": params,
            "jobs": results,
            "iperf3": None if rate is None else {"gbit_s": rate[0], "mib_s": rate[1]},
            "read_1m_percent_of_iperf3": pct_iperf3 or None,
            "goals": [{"job": job, "goal": text, "figure": fig, "met": ok, "within_noise": noise}
                      for job, text, fig, ok, noise in goals],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
