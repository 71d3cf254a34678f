#!/usr/bin/env python3
"""Turns the fio/iperf3 JSON of scripts/bench/guest-bench.sh into one table."""
import glob
import json
import os
import sys

out = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(out, "fio-*.json"))):
    base = os.path.basename(path)[4:-5]
    who = next((w for w in ("iscsi-init", "open-iscsi") if base.startswith(w + "-")), None)
    if who is None:
        continue
    name = base[len(who) + 1:]
    try:
        job = json.load(open(path))["jobs"][0]
    except (ValueError, KeyError, IndexError):
        continue
    side = job["read"] if job["read"]["io_bytes"] > 0 else job["write"]
    pct = side.get("clat_ns", {}).get("percentile", {})
    rows.setdefault(name, {})[who] = {
        "iops": side["iops"],
        "mibs": side["bw_bytes"] / 1048576.0,
        "p50": pct.get("50.000000", 0) / 1000.0,
        "p99": pct.get("99.000000", 0) / 1000.0,
    }

order = ["4k-randread-qd1", "4k-randread-qd32", "4k-randwrite-qd1", "4k-randwrite-qd32",
         "128k-read-qd8", "128k-write-qd8", "1m-read-qd8", "1m-write-qd8"]
hdr = f"{'job':<18} {'initiator':<11} {'IOPS':>9} {'MiB/s':>8} {'p50 us':>9} {'p99 us':>9}"
lines = [hdr, "-" * len(hdr)]
for name in order + sorted(set(rows) - set(order)):
    if name not in rows:
        continue
    r = rows[name]
    for who in ("iscsi-init", "open-iscsi"):
        if who in r:
            v = r[who]
            lines.append(f"{name:<18} {who:<11} {v['iops']:>9.0f} {v['mibs']:>8.1f} {v['p50']:>9.0f} {v['p99']:>9.0f}")
    if "iscsi-init" in r and "open-iscsi" in r and r["open-iscsi"]["iops"] > 0:
        a, b = r["iscsi-init"], r["open-iscsi"]
        lines.append(f"{name:<18} {'ratio':<11} {a['iops'] / b['iops']:>9.2f} {a['mibs'] / max(b['mibs'], 1e-9):>8.2f}"
                     f" {a['p50'] / max(b['p50'], 1e-9):>9.2f} {a['p99'] / max(b['p99'], 1e-9):>9.2f}")
try:
    ip = json.load(open(os.path.join(out, "iperf3.json")))
    gbit = ip["end"]["sum_received"]["bits_per_second"] / 1e9
    lines.append(f"iperf3 loopback: {gbit:.2f} Gbit/s")
except (OSError, ValueError, KeyError):
    lines.append("iperf3 loopback: n/a")
print("\n".join(lines))
