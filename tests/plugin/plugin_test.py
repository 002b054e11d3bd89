#!/usr/bin/python3
"""Plugins and check mode, through gorgon_mpi under mpiexec at a given rank count."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

ARGS = None
HANG = 120  # seconds: only a hang detector, never a performance bound


def gorgon(*options, ranks=None):
    cmd = [ARGS.mpiexec, "--oversubscribe", "-np", str(ranks or ARGS.ranks), ARGS.gorgon]
    cmd += [str(o) for o in options]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=HANG)


def errors(stderr):
    """Our own error lines (mpiexec adds its own banner on non-zero exits)."""
    return [l for l in stderr.splitlines() if l.startswith("gorgon_mpi: error:")]


class Plugins(unittest.TestCase):
    def test_plugin_operation_runs_with_exact_counts(self):
        with tempfile.TemporaryDirectory() as tmp:
            summary = os.path.join(tmp, "s.json")
            p = gorgon("--plugin", ARGS.good, "--op", "test_plugin_op", "--ops", 101,
                       "--threads", 2, "--json", summary)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(summary) as f:
                run = json.load(f)["runs"][0]
        labels = {l["label"]: l for l in run["labels"]}
        self.assertEqual(labels["exception: boom at two"]["count"], 1)
        self.assertEqual(labels["EVEN"]["count"], 50)   # 0, 4, 6, ..., 100
        self.assertEqual(labels["ODD"]["count"], 50)
        for name in ("EVEN", "ODD", "exception: boom at two"):
            subs = {s["name"]: s["count"] for s in labels[name]["subcalls"]}
            self.assertEqual(subs, {"first step": labels[name]["count"],
                                    "second step": labels[name]["count"]})

    def test_plugin_listed(self):
        p = gorgon("--plugin", ARGS.good, "--list-ops")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("test_plugin_op", p.stdout)
        self.assertEqual(p.stdout.count("test_plugin_op"), 1)  # rank 0 alone prints

    def test_two_plugins(self):
        """--plugin is repeatable: both plugins' operations are there, with their parameters."""
        with tempfile.TemporaryDirectory() as tmp:
            summary = os.path.join(tmp, "s.json")
            p = gorgon("--plugin", ARGS.good, "--plugin", ARGS.param_plugin,
                       "--op", "test_modulo_op", "--param", "modulo=4", "--ops", 10,
                       "--json", summary)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(summary) as f:
                run = json.load(f)["runs"][0]
        self.assertEqual({l["label"]: l["count"] for l in run["labels"]},
                         {"r0": 3, "r1": 3, "r2": 2, "r3": 2})

    def test_list_ops_shows_every_operation_and_parameter(self):
        p = gorgon("--plugin", ARGS.good, "--plugin", ARGS.param_plugin, "--list-ops")
        self.assertEqual(p.returncode, 0, p.stderr)
        ops, current = {}, None
        for line in p.stdout.splitlines():
            if line and not line.startswith(" "):
                current = line.strip()
                ops[current] = []
            elif line.strip().startswith("--param "):
                ops[current].append(line.strip())
        self.assertEqual(sorted(ops), ["exec", "file", "hash", "http", "noop", "sleep", "spin",
                                       "test_modulo_op", "test_plugin_op"])
        def has(op, text):
            self.assertTrue(any(l.startswith(text) for l in ops[op]), f"{op}: {text} in {ops[op]}")
        has("test_modulo_op", "--param modulo=<integer> (default 3)")
        has("hash", "--param iterations=<integer> (default 4000)")
        has("sleep", "--param time=<duration> (default 1ms)")
        has("http", "--param timeout=<duration> (default 30s)")
        has("http", "--param url=<text>")
        has("exec", "--param capture_failures=<bool> (default false)")
        has("file", "--param size=<integer> (default 4096)")
        self.assertEqual(ops["noop"], [])

    def check_bad(self, expected, *options):
        p = gorgon(*options)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        lines = errors(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(expected, lines[0])

    def test_missing_plugin(self):
        self.check_bad("does not exist", "--plugin", "/nonexistent/plugin.so", "--op", "noop")

    def test_not_a_library(self):
        with tempfile.NamedTemporaryFile(suffix=".so") as junk:
            junk.write(b"this is not an ELF file")
            junk.flush()
            self.check_bad("cannot load plugin", "--plugin", junk.name, "--op", "noop")

    def test_name_registered_twice(self):
        self.check_bad("'noop' is registered twice", "--plugin", ARGS.clash, "--op", "noop")

    def test_plugin_with_no_operation(self):
        self.check_bad("registers no new operation", "--plugin", ARGS.empty, "--op", "noop")


class CheckMode(unittest.TestCase):
    def test_calls_printed_in_full_and_failure_exit_1(self):
        p = gorgon("--plugin", ARGS.good, "--op", "test_plugin_op", "--check", 4)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout
        self.assertEqual(out.count("check: test_plugin_op"), 1)  # rank 0 only
        for n, label in ((0, "EVEN"), (1, "ODD"), (2, "exception: boom at two"), (3, "ODD")):
            self.assertRegex(out, r"(?m)^call %d: %s  \S+$" % (n, label))
        self.assertEqual(out.count("    first step<  "), 4)
        self.assertEqual(out.count("    second step<  "), 4)
        self.assertIn("    threw: boom at two", out)
        self.assertIn("check: 4 calls, 1 threw", out)

    def test_default_three_calls_exit_0(self):
        p = gorgon("--op", "hash", "--param", "iterations=10", "--check", "--seed", 10)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"(?m)^call 10: FAIL ")
        self.assertRegex(p.stdout, r"(?m)^call 12: SUCCESS ")
        self.assertNotIn("call 13", p.stdout)
        self.assertIn("check: 3 calls, 0 threw", p.stdout)
        self.assertNotIn("Total time", p.stdout)  # no run, no report

    def test_bad_input_in_check_mode(self):
        p = gorgon("--op", "hash", "--param", "iterations=0", "--check")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertEqual(len(errors(p.stderr)), 1, p.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for name in ("mpiexec", "gorgon", "good", "clash", "empty", "param-plugin"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--ranks", type=int, required=True)
    ARGS, rest = parser.parse_known_args()
    print(f"plugin_test: {ARGS.ranks} rank(s)")
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
