#!/usr/bin/env python3
"""gorgon_report on real HDF5 files: golden text and JSON of a committed file, the same
report as the live run, --run, --baseline, --html rendered in Chromium, and bad input
(missing, empty, random, truncated, other format, newer format_version): exit 2, one line.

    report_files_test.py GROUP --report R --gorgon G --mpiexec M --data D --golden D
                               --checker CHECK_HTML_RENDER_PY --workdir W

GROUP is one of: golden, live, bad_input, outputs. GORGON_UPDATE_GOLDEN=1 rewrites the golden
outputs of data/file_suite_v1.h5 (read the diff before committing them).
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py

ARGS = None
TIMEOUT = 120  # seconds: a hang fails the test instead of stalling it


def run(cmd, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=TIMEOUT)


def report(*args):
    return run([ARGS.report] + list(args))


def work(name):
    return os.path.join(ARGS.workdir, name)


def golden(name):
    return os.path.join(ARGS.golden, name)


def gorgon(ranks, *args):
    """gorgon_mpi under mpiexec; its stdout (the live report)."""
    cmd = [ARGS.mpiexec, "--oversubscribe", "-np", str(ranks), ARGS.gorgon] + list(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


class Golden(unittest.TestCase):
    """A file written by gorgon_mpi (format_version 1), committed with its outputs: the
    reader must keep reading it, and the report must keep printing the same lines."""

    FILE = "file_suite_v1.h5"

    def check(self, name, actual):
        path = golden(name)
        if os.environ.get("GORGON_UPDATE_GOLDEN") == "1":
            with open(path, "w") as f:
                f.write(actual)
            return
        with open(path) as f:
            expected = f.read()
        if expected != actual:
            with open(work(name + ".actual"), "w") as f:
                f.write(actual)
        self.assertEqual(expected, actual, f"golden {name} differs; actual in {work(name + '.actual')}")

    def test_text(self):
        p = report(os.path.join(ARGS.data, self.FILE))
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.check("file_suite_v1.txt", p.stdout)

    def test_json(self):
        p = report(os.path.join(ARGS.data, self.FILE), "--json")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.check("file_suite_v1.json", p.stdout)

    def two_host_copy(self):
        """The committed file with its two world ranks on two hosts (its `hosts` attribute
        rewritten, as a run across two nodes would have written it)."""
        path = work("two_hosts.h5")
        shutil.copy(os.path.join(ARGS.data, self.FILE), path)
        with h5py.File(path, "r+") as f:
            f.attrs["hosts"] = ["gvc1", "gvc2"]
        return path

    def test_text_on_two_hosts(self):
        p = report(self.two_host_copy())
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.check("file_suite_v1_two_hosts.txt", p.stdout)
        # Only run 2 (2 ranks) spans both hosts: its balance line alone gains node figures.
        with open(golden("file_suite_v1.txt")) as f:
            one_host = f.read().splitlines()
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), len(one_host))
        changed = [(a, b) for a, b in zip(one_host, lines) if a != b]
        self.assertEqual(len(changed), 1, changed)
        before, after = changed[0]
        self.assertTrue(after.startswith(before + "; nodes 2: calls per node 150..150, "), after)
        self.assertTrue(after.endswith("; slowest node gvc2 (44.1ms)"), after)

    def test_json_on_two_hosts(self):
        p = report(self.two_host_copy(), "--json")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        runs = json.loads(p.stdout)["runs"]
        self.assertEqual([r["host"] for r in runs[0]["balance"]["ranks"]], ["gvc1"])
        self.assertEqual([n["host"] for n in runs[0]["balance"]["nodes"]], ["gvc1"])
        balance = runs[1]["balance"]
        self.assertEqual([r["host"] for r in balance["ranks"]], ["gvc1", "gvc2"])
        self.assertEqual([(n["host"], n["ranks"]) for n in balance["nodes"]],
                         [("gvc1", [0]), ("gvc2", [1])])
        for node, rank in zip(balance["nodes"], balance["ranks"]):
            self.assertEqual({k: node[k] for k in ("calls", "busy_ns", "wall_ns")},
                             {k: rank[k] for k in ("calls", "busy_ns", "wall_ns")})
        self.assertEqual(sum(n["calls"] for n in balance["nodes"]), runs[1]["result"]["count"])
        self.assertEqual(balance["slowest_node"], "gvc2")  # rank 1's, the slowest rank

    def test_run_two(self):
        p = report(os.path.join(ARGS.data, self.FILE), "--run", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(golden("file_suite_v1.txt")) as f:
            whole = f.read()
        second = whole[whole.index("Run 2 of 2"):whole.index("Suite of 2 runs")]
        self.assertEqual(p.stdout, second)


class Live(unittest.TestCase):
    """gorgon_report prints what the live run printed, from the file it wrote."""

    @classmethod
    def setUpClass(cls):
        cls.h5, cls.js = work("live.h5"), work("live.json")
        for f in (cls.h5, cls.js):
            if os.path.exists(f):
                os.remove(f)
        cls.live = gorgon(2, "--op", "hash", "-p", "iterations=20", "-n", "3000", "--runs",
                          "1x1,2x2", "-o", cls.h5, "--json", cls.js)
        cls.base = work("base.h5")
        if os.path.exists(cls.base):
            os.remove(cls.base)
        gorgon(2, "--op", "hash", "-p", "iterations=40", "-n", "3000", "--runs", "1x1,2x2",
               "-o", cls.base)

    def test_text_is_the_live_report(self):
        p = report(self.h5)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(p.stdout, self.live)

    def test_json_is_the_live_json(self):
        p = report(self.h5, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.js) as f:
            self.assertEqual(json.loads(p.stdout), json.load(f))

    def test_baseline(self):
        p = report(self.h5, "--baseline", self.base)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith(self.live), "the report comes first")
        comparison = p.stdout[len(self.live):]
        self.assertIn(f"Comparison: {self.h5} (2 runs merged) against baseline {self.base} (2 runs merged)",
                      comparison)
        lines = comparison.splitlines()
        header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["Name", "calls/s"])
        rows = {line.split()[0] for line in lines[header + 1:] if line.strip()}
        self.assertEqual(rows, {"Result", "FAIL!", "SUCCESS"})  # FAIL is hash's error label
        one = report(self.h5, "--run", "2", "--baseline", self.base)
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertIn("(run 2 of 2) against baseline", one.stdout)

    def test_html_renders(self):
        html = work("live.html")
        p = report(self.h5, "--html", html)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, self.live)
        with open(html) as f:
            page = f.read()
        self.assertIn('data-chart="scaling"', page)
        self.assertEqual(page.count('data-chart="throughput"'), 2)
        c = run([sys.executable, ARGS.checker, html])
        if c.returncode == 77:
            self.skipTest(c.stdout.strip())
        self.assertEqual(c.returncode, 0, c.stdout + c.stderr)


class BadInput(unittest.TestCase):
    """Every unreadable input: exit status 2, nothing on stdout, one line on stderr."""

    @classmethod
    def setUpClass(cls):
        cls.good = os.path.join(ARGS.data, Golden.FILE)
        with open(cls.good, "rb") as f:
            cls.bytes = f.read()

    def expect_rejected(self, path, why, *extra):
        p = report(path, *extra)
        self.assertEqual(p.returncode, 2, f"{path}: {p.stderr}")
        self.assertEqual(p.stdout, "")
        self.assertTrue(p.stderr.startswith("gorgon_report: error: "), p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)  # one line, no HDF5 error stack
        self.assertIn(why, p.stderr)

    def write(self, name, data):
        path = work(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_missing(self):
        self.expect_rejected(work("no-such-file.h5"), "no such file")

    def test_directory(self):
        self.expect_rejected(ARGS.workdir, ARGS.workdir)

    def test_empty(self):
        self.expect_rejected(self.write("empty.h5", b""), "not an HDF5 file")

    def test_random(self):
        rng = random.Random(7)
        self.expect_rejected(self.write("random.h5", bytes(rng.getrandbits(8) for _ in range(65536))),
                             "not an HDF5 file")

    def test_text(self):
        self.expect_rejected(self.write("text.h5", b"Run 1 of 1: hash\n" * 100), "not an HDF5 file")

    def test_truncated(self):
        for size in (8, 512, 2048, len(self.bytes) // 3, len(self.bytes) // 2, len(self.bytes) - 1):
            with self.subTest(size=size):
                self.expect_rejected(self.write(f"truncated-{size}.h5", self.bytes[:size]), "truncated-")

    def test_other_format(self):
        path = work("other.h5")
        with h5py.File(path, "w") as f:
            f.attrs["format"] = "someone-else"
            f.create_dataset("x", data=[1, 2, 3])
        self.expect_rejected(path, "someone-else")
        plain = work("plain.h5")
        with h5py.File(plain, "w") as f:
            f.create_dataset("x", data=[1, 2, 3])
        self.expect_rejected(plain, "plain.h5")

    def test_newer_format_version(self):
        path = work("newer.h5")
        shutil.copy(self.good, path)
        with h5py.File(path, "r+") as f:
            f.attrs["format_version"] = 99
        self.expect_rejected(path, "99")

    def test_bad_baseline(self):
        self.expect_rejected(self.good, "no-such-baseline.h5", "--baseline", work("no-such-baseline.h5"))

    def test_run_out_of_range(self):
        self.expect_rejected(self.good, "holds 2 runs", "--run", "3")

    def test_damaged_columns(self):
        # Valid HDF5 with nonsense values in the raw columns: label indexes past the label
        # table, times near 2^64, ranks past the run. A report (the HTML too) or exit 2,
        # never a crash or a runaway allocation.
        path = work("damaged-columns.h5")
        shutil.copy(self.good, path)
        with h5py.File(path, "r+") as f:
            calls = f["runs/001/calls"]
            n = calls["label"].shape[0]
            calls["label"][: n // 2] = 4_000_000_000
            calls["start_ns"][::3] = 2**64 - 1
            calls["duration_ns"][::5] = 2**63
            calls["rank"][::7] = 1_000_000
        for extra in ([], ["--json"], ["--html", work("damaged-columns.html"), "--force"]):
            p = report(path, *extra)
            with self.subTest(args=extra):
                self.assertIn(p.returncode, (0, 2), p.stderr)
                if p.returncode == 2:
                    self.assertTrue(p.stderr.startswith("gorgon_report: error: "), p.stderr)
                    self.assertEqual(p.stderr.count("\n"), 1, p.stderr)


class Outputs(unittest.TestCase):
    """--html follows the rule of every output, decided before the file is read: an existing
    file needs --force, an input or a directory is never a target, nothing is left behind."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=ARGS.workdir)
        self.input = os.path.join(self.dir, "r.h5")
        shutil.copy(os.path.join(ARGS.data, Golden.FILE), self.input)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def refused(self, why, *args):
        before = sorted(os.listdir(self.dir))
        p = report(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stdout, "", "refused before anything was read")
        self.assertIn(why, p.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), before, "no file made or removed")

    def test_html_naming_the_input_is_refused(self):
        with open(self.input, "rb") as f:
            data = f.read()
        self.refused("would be replaced", self.input, "--html", self.input, "--force")
        with open(self.input, "rb") as f:
            self.assertEqual(f.read(), data, "the results file is untouched")

    def test_html_naming_the_baseline_is_refused(self):
        base = os.path.join(self.dir, "base.h5")
        shutil.copy(self.input, base)
        self.refused("would be replaced", self.input, "--baseline", base, "--html", base, "--force")

    def test_an_existing_file_needs_force(self):
        notes = os.path.join(self.dir, "notes.txt")
        with open(notes, "w") as f:
            f.write("keep me")
        self.refused("--force", self.input, "--html", notes)
        with open(notes) as f:
            self.assertEqual(f.read(), "keep me")
        p = report(self.input, "--html", notes, "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(notes) as f:
            self.assertIn("<html", f.read())
        self.assertEqual(sorted(os.listdir(self.dir)), ["notes.txt", "r.h5"], "no temporary left")

    def test_a_directory_is_refused_up_front(self):
        self.refused("directory", self.input, "--html", self.dir)

    def test_force_without_html_is_refused(self):
        self.refused("--force", self.input, "--force")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("group", choices=["golden", "live", "bad_input", "outputs"])
    for opt in ("--report", "--gorgon", "--mpiexec", "--data", "--golden", "--checker", "--workdir"):
        parser.add_argument(opt, required=True)
    ARGS, rest = parser.parse_known_args()
    # A directory of this process's own, so two test runs never share a file name; kept
    # when a test failed, for a look.
    os.makedirs(ARGS.workdir, exist_ok=True)
    ARGS.workdir = tempfile.mkdtemp(prefix=f"{ARGS.group}-", dir=ARGS.workdir)
    case = {"golden": Golden, "live": Live, "bad_input": BadInput, "outputs": Outputs}[ARGS.group]
    suite = unittest.TestLoader().loadTestsFromTestCase(case)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.wasSuccessful():
        shutil.rmtree(ARGS.workdir)
    else:
        print(f"files kept in {ARGS.workdir}")
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
