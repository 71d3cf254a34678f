#!/usr/bin/env python3
"""Unit tests of scripts/bench/table.py: the medians and ratios of one boot,
the goals of issue 9 it judges, and the summary over boots (--boots).

    python3 -m unittest discover -s scripts/bench -p 'test_*.py'

Each test writes the files a guest run leaves (fio JSON, cpu-*.txt,
iperf3.json, bench-run.txt) into a temporary directory. Standard library
only, as table.py.
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import table  # noqa: E402  (after the path)

RUNTIME_S = 10


def write_run(out, who, job, rep, iops, p50_us, p99_us, cpu_ticks, write=False):
    """The files of one fio run of JOB by WHO: IOPS, latency percentiles
    (µs) and busy CPU ticks (USER_HZ 100) over the run."""
    side = {"iops": iops, "bw_bytes": iops * 4096, "total_ios": int(iops * RUNTIME_S),
            "lat_ns": {"percentile": {"50.000000": p50_us * 1000, "99.000000": p99_us * 1000,
                                      "99.900000": p99_us * 2000}},
            "slat_ns": {"mean": 20000}}
    empty = {"iops": 0, "bw_bytes": 0, "total_ios": 0}
    doc = {"jobs": [{"read": empty if write else side, "write": side if write else empty}]}
    with open(os.path.join(out, f"fio-{who}-{job}-r{rep}.json"), "w") as f:
        f.write("note: fio prints this before its JSON\n" + json.dumps(doc))
    with open(os.path.join(out, f"cpu-{who}-{job}-r{rep}.txt"), "w") as f:
        f.write(f"clk_tck 100\ndelta cpu {cpu_ticks} 0 0 500 0 0 0 0 0 0\nctxt 1000\n")


def write_boot(out, jobs, digests="None", iperf3_bits=2.4e9, sessions=1, luns=1, ab="", run=""):
    """A boot's directory: JOBS maps a job to ((ours IOPS, p50, p99, CPU
    ticks), (theirs ...)) per rep; with AB (an --ab setting), to ((side a
    ...), (side b ...)). RUN: more key=value lines for bench-run.txt."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "bench-run.txt"), "w") as f:
        f.write(f"kernel=6.12.118\nflavour=release\nreps=3\ndigests={digests}\n"
                f"sessions={sessions}\nluns={luns}\njobs={' '.join(jobs)}\nab={ab}\n{run}")
    with open(os.path.join(out, "iperf3.json"), "w") as f:
        json.dump({"end": {"sum_received": {"bits_per_second": iperf3_bits}}}, f)
    for job, reps in jobs.items():
        for rep, (ours, theirs) in enumerate(reps, 1):
            write_run(out, "ours-a" if ab else "iscsi-init", job, rep, *ours, write="write" in job)
            write_run(out, "ours-b" if ab else "open-iscsi", job, rep, *theirs, write="write" in job)


def table_text(out):
    """What table.py prints for the boot in OUT."""
    argv = sys.argv
    sys.argv = ["table.py", out]
    try:
        with contextlib.redirect_stdout(io.StringIO()) as text:
            table.main()
    finally:
        sys.argv = argv
    return text.getvalue()


def verdicts(out):
    a = table.analyze(out)
    return {(job, text): (fig, ok, noise)
            for job, text, fig, ok, noise in table.goal_rows(a.params, a.jobs, a.results, a.pct_iperf3)}


class OneBoot(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_qd1_goals_met_and_not(self):
        out = os.path.join(self.tmp.name, "b")
        # Ours 1.3x the IOPS, p50 0.75x, p99 0.9x, CPU per I/O 0.5x.
        write_boot(out, {"4k-randread-qd1": [((1300, 300, 900, 100), (1000, 400, 1000, 154))] * 3})
        v = verdicts(out)
        self.assertEqual(v[("4k-randread-qd1", "IOPS ≥ 1.25×")][:2], ("1.30", True))
        self.assertEqual(v[("4k-randread-qd1", "p50 ≤ 0.8×")][:2], ("0.75", True))
        self.assertEqual(v[("4k-randread-qd1", "p99 ≤ 0.8×")][:2], ("0.90", False))
        self.assertTrue(v[("4k-randread-qd1", "CPU/IO ≤ 0.8×")][1])
        # Identical reps on each side: the ranges do not overlap.
        self.assertFalse(v[("4k-randread-qd1", "IOPS ≥ 1.25×")][2])
        self.assertEqual(len(v), 4)

    def test_noise_mark_and_iperf3(self):
        out = os.path.join(self.tmp.name, "b")
        reps = [((300, 25000, 30000, 400), (100, 90000, 600000, 400)),
                ((250, 25000, 30000, 400), (260, 90000, 600000, 400)),
                ((280, 25000, 30000, 400), (110, 90000, 600000, 400))]
        # 280 MiB/s of 1 MiB reads (bs 4k in the fixture: bw = IOPS x 4096).
        write_boot(out, {"1m-read-qd8": reps}, iperf3_bits=280 * 4096 * 8 / 0.5)
        v = verdicts(out)
        fig, ok, noise = v[("1m-read-qd8", "IOPS ≥ 1.2×")]
        self.assertTrue(ok)
        self.assertTrue(noise, "ours 250..300 and theirs 100..260 overlap")
        fig, ok, _ = v[("1m-read-qd8", "≥ 90 % of iperf3")]
        self.assertEqual((fig, ok), ("50.0 %", False))

    def test_digests_and_scale_variants(self):
        out = os.path.join(self.tmp.name, "d")
        write_boot(out, {"4k-randread-qd1": [((1210, 300, 900, 100), (1000, 400, 1000, 100))] * 3},
                   digests="CRC32C")
        self.assertEqual(set(verdicts(out)), {("4k-randread-qd1", "IOPS ≥ 1.2×")})
        self.assertTrue(verdicts(out)[("4k-randread-qd1", "IOPS ≥ 1.2×")][1])
        out = os.path.join(self.tmp.name, "s")
        write_boot(out, {"scale-4x2-4k-randread-qd32": [((1400, 1, 1, 100), (1000, 1, 1, 100))] * 3},
                   sessions=4, luns=2)
        self.assertEqual(verdicts(out), {("scale-4x2-4k-randread-qd32", "IOPS ≥ 1.5×"): ("1.40", False, False)})
        out = os.path.join(self.tmp.name, "s2")
        write_boot(out, {"scale-2x1-4k-randread-qd32": [((1400, 1, 1, 100), (1000, 1, 1, 100))] * 3},
                   sessions=2, luns=1)
        self.assertEqual(verdicts(out), {}, "no goal for a layout other than 4x2")

    def test_heading_says_where_fio_and_lio_ran(self):
        jobs = {"4k-randread-qd1": [((1300, 300, 900, 100), (1000, 400, 1000, 154))] * 3}
        out = os.path.join(self.tmp.name, "pinned")
        write_boot(out, jobs, run="fio_cpu=1\nlio_cpus=0\n")
        self.assertIn("LIO's connection threads on vCPU 0, fio's jobs on vCPU 1 (--fio-cpu)", table_text(out))
        out = os.path.join(self.tmp.name, "unpinned")
        write_boot(out, jobs, run="fio_cpu=any\nlio_cpus=0,1\n")
        self.assertIn("LIO's connection threads on vCPU 0,1, fio's jobs on any vCPU", table_text(out))

    def test_missing_side_is_na(self):
        out = os.path.join(self.tmp.name, "b")
        write_boot(out, {"4k-randwrite-qd32": [((1300, 1, 1, 100), (1000, 1, 1, 100))]})
        os.remove(os.path.join(out, "fio-open-iscsi-4k-randwrite-qd32-r1.json"))
        v = verdicts(out)
        self.assertEqual(v[("4k-randwrite-qd32", "IOPS ≥ 1.5×")], ("n/a", None, False))


class AB(unittest.TestCase):
    def test_ab_ratio_is_b_over_a_and_no_goal(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "ab")
            # Side b (queue/rq_affinity=0) at 1.25x the IOPS of side a.
            write_boot(out, {"4k-randread-qd32": [((1000, 1, 1, 100), (1250, 1, 1, 100))] * 3},
                       ab="queue/rq_affinity=0")
            a = table.analyze(out)
            self.assertEqual(a.who, table.WHO_AB)
            self.assertAlmostEqual(a.results["4k-randread-qd32"]["ratio"]["iops"]["ratio"], 1.25)
            self.assertEqual(verdicts(out), {}, "an A/B run has no goal")
            t = table_text(out)
            self.assertIn("ratio = ours-b / ours-a", t)
            self.assertIn("with queue/rq_affinity=0", t)
            self.assertRegex(t, r"4k-randread-qd32\s+ours-b\s+1250")
            self.assertRegex(t, r"4k-randread-qd32\s+ratio\s+1\.25 ")
            self.assertRegex(t, r"(?m)^job\s+side\s+IOPS")
            self.assertNotIn("open-iscsi", t)
            self.assertNotIn("goals of issue 9", t)


class Boots(unittest.TestCase):
    def test_median_over_boots_and_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            dirs = []
            # IOPS ratios 1.2, 1.6, 1.55 over three boots.
            for k, ours in enumerate((1200, 1600, 1550), 1):
                d = os.path.join(tmp, f"boot-{k}")
                write_boot(d, {"4k-randwrite-qd32": [((ours, 1, 1, 100), (1000, 1, 1, 100))] * 3})
                dirs.append(d)
            doc = os.path.join(tmp, "boots.json")
            with contextlib.redirect_stdout(io.StringIO()) as text:
                table.boots_main(dirs, doc)
            with open(doc) as f:
                goals = {g["goal"]: g for g in json.load(f)["goals"]}
            g = goals["IOPS ≥ 1.5×"]
            self.assertAlmostEqual(g["median"], 1.55)
            self.assertTrue(g["met"])
            self.assertEqual((g["boots_met"], g["boots"]), (2, 3))
            self.assertIn("1.20..1.60", text.getvalue())
            # CPU per I/O: the same busy time over more I/Os, 0.83 in boot 1.
            self.assertEqual((goals["CPU/IO ≤ 0.8×"]["boots_met"], goals["CPU/IO ≤ 0.8×"]["boots"]), (2, 3))
            self.assertIn("2 of 2 goals met by the median, 0 in every boot", text.getvalue())


if __name__ == "__main__":
    unittest.main()
