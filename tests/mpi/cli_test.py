#!/usr/bin/env python3
"""gorgon_mpi's command line under mpiexec at a given rank count, end to end.

Checks, each against expectations computed here independently of the program:
  * hash counts are exact (FAIL = numbers n in [seed, seed+N) with n % 5 == 0), per rank too
    (each rank its slice under --schedule static; the calls add up under the shared schedules);
  * sub-call counts per label and name are exact, and thrown exceptions are counted under
    "exception: <what()>" / "exception: unknown" (test operations of gorgon_mpi_testops);
  * suites (--runs, --suite) on fewer ranks than the world: ranks, counts and balance per run;
  * the text report's layout, printed once (by rank 0 only);
  * bad input exits 2 on every rank, with one error message and no hang;
  * validation builds no operation: one instance per thread of each run.

One unittest case per group (CTest runs each alone, as mpi.cli.<case>.np<ranks>); with no
case named, all of them run.

    cli_test.py --mpiexec mpiexec --ranks 4 --gorgon build/gorgon_mpi \
                --testops build/tests/mpi/gorgon_mpi_testops [Cli.test_hash_counts ...]
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from launch import Launch  # noqa: E402

ARGS = None          # the command line's options, set by main()
HANG_TIMEOUT_S = 60  # a launch that takes this long is a hang, not a slow machine
MAX_HANGS = 2        # after this many, later launches are failed without waiting (so the
                     # driver ends, with its summary, well inside CTest's timeout)
ITERATIONS = "50"    # hash digest updates per call: small, the counts are what matter


def hang_detail(launch):
    return f"no exit in {HANG_TIMEOUT_S}s; stderr: {launch.stderr[-1000:]!r}"


# ---- expectations -------------------------------------------------------------------------

def slices(ops, ranks):
    """Calls per rank: contiguous slices differing by at most one, remainder first."""
    return [ops // ranks + (1 if r < ops % ranks else 0) for r in range(ranks)]


def hash_labels(seed, ops):
    fail = sum(1 for n in range(seed, seed + ops) if n % 5 == 0)
    return {"FAIL": (fail, {}), "SUCCESS": (ops - fail, {})}


def scopes_labels(seed, ops):
    out = {}
    for n in range(seed, seed + ops):
        label = "odd" if n % 2 else "even"
        count, subs = out.get(label, (0, {}))
        for name in ["step a", "step b"] + (["step c"] if n % 3 == 0 else []):
            subs[name] = subs.get(name, 0) + 1
        out[label] = (count + 1, subs)
    return out


def throws_labels(seed, ops):
    out = {}
    for n in range(seed, seed + ops):
        if n % 7 == 0:
            label, names = "exception: boom", ["before"]
        elif n % 11 == 0:
            label, names = "exception: unknown", ["before"]
        else:
            label, names = "ok", ["before", "after"]
        count, subs = out.get(label, (0, {}))
        for name in names:
            subs[name] = subs.get(name, 0) + 1
        out[label] = (count + 1, subs)
    return out


class Cli(unittest.TestCase):
    hangs = 0  # launches that hung, over every case of this process

    def setUp(self):
        self.ranks = ARGS.ranks
        self._tmp = tempfile.TemporaryDirectory(prefix="gorgon_mpi_cli_")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    # ---- launching ----------------------------------------------------------------------

    def mpiexec(self, command, env=None):
        if Cli.hangs >= MAX_HANGS:
            return Launch(None, "", f"not launched: {Cli.hangs} launches hung already", True)
        argv = [ARGS.mpiexec, "--oversubscribe", "-np", str(self.ranks)] + command
        # A session of its own, so that ending a hang reaches every process it started.
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=self.tmp, env=env, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=HANG_TIMEOUT_S)
            return Launch(proc.returncode, out, err, False)
        except subprocess.TimeoutExpired:
            # SIGTERM first: mpiexec then ends the ranks it started (they run in process
            # groups of their own, so killing mpiexec's group alone would orphan them).
            proc.terminate()
            try:
                out, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
            Cli.hangs += 1
            return Launch(None, out, err, True)

    def run_gorgon(self, binary, args):
        return self.mpiexec([binary] + args)

    def run_ok(self, tag, binary, args, json_name):
        """Runs, asserts exit 0 and a JSON summary; returns (launch, summary)."""
        path = os.path.join(self.tmp, json_name)
        launch = self.run_gorgon(binary, args + ["--json", path])
        self.assertTrue(not launch.hung and launch.returncode == 0,
                        f"{tag}: exits 0 without hanging: hung={launch.hung} "
                        f"status={launch.returncode} stderr={launch.stderr[-2000:]!r}")
        temps = [f for f in os.listdir(self.tmp) if ".tmp-" in f]
        self.assertEqual(temps, [], f"{tag}: no temporary file left")
        try:
            with open(path) as f:
                summary = json.load(f)
        except (OSError, ValueError) as e:
            self.fail(f"{tag}: JSON summary readable: {e}")
        self.assertEqual(summary.get("format"), "gorgon-mpi-summary", f"{tag}: JSON format")
        return launch, summary

    # ---- checks of one run's summary --------------------------------------------------------

    def check_run(self, tag, run, *, ops, seed, ranks, threads, labels):
        """The run's parameters, exact label and sub-call counts, and its balance."""
        self.assertEqual(run.get("ops"), ops, f"{tag}: ops")
        self.assertEqual(run.get("seed"), seed, f"{tag}: seed")
        self.assertEqual(run.get("ranks"), ranks, f"{tag}: ranks")
        self.assertEqual(run.get("threads"), threads, f"{tag}: threads")
        self.assertEqual(run.get("result", {}).get("count"), ops, f"{tag}: Result count")
        got = {l["label"]: (l["count"], {s["name"]: s["count"] for s in l["subcalls"]})
               for l in run.get("labels", [])}
        self.assertEqual(got, labels, f"{tag}: counts per label and sub-call")
        balance = run.get("balance", {})
        rank_rows = balance.get("ranks", [])
        self.assertEqual([r["rank"] for r in rank_rows], list(range(ranks)),
                         f"{tag}: balance lists {ranks} ranks")
        calls = [r["calls"] for r in rank_rows]
        if run.get("schedule") == "static":  # each rank its slice
            self.assertEqual(calls, slices(ops, ranks), f"{tag}: calls per rank (static)")
        else:  # dynamic and guided share the calls while the run goes
            self.assertEqual(sum(calls), ops, f"{tag}: calls over ranks ({run.get('schedule')})")
        thread_rows = balance.get("threads", [])
        self.assertEqual(sorted((t["rank"], t["thread"]) for t in thread_rows),
                         [(r, t) for r in range(ranks) for t in range(threads)],
                         f"{tag}: balance lists {ranks}x{threads} threads")
        self.assertEqual(sum(t["calls"] for t in thread_rows), ops, f"{tag}: calls over threads")

    # ---- the text report ----------------------------------------------------------------

    STATS_LINE = re.compile(r"^\s*(.*?)\s+(\d+)\s+\S+ ops/sec\. Avg time:")

    def check_text(self, tag, stdout, run):
        """One report on stdout: title, "Total time:", "Result", labels with their " name<"
        lines, then "Balance:", in the order and with the counts of the JSON summary."""
        lines = stdout.splitlines()
        self.assertEqual(sum(l.startswith("Total time:") for l in lines), 1,
                         f"{tag}: one 'Total time:' on stdout (rank 0 only)")
        self.assertEqual(sum(l.startswith("Balance:") for l in lines), 1,
                         f"{tag}: one 'Balance:' on stdout")
        at = next(i for i, l in enumerate(lines) if l.startswith("Total time:"))
        self.assertTrue(at > 0 and lines[at - 1].startswith("Run 1 of 1: "),
                        f"{tag}: run title before the report: {lines[:at]}")
        want = [("Result", run["result"]["count"])]
        for l in run["labels"]:
            want.append((l["label"] + ("!" if l["error"] else ""), l["count"]))
            want += [(s["name"] + "<", s["count"]) for s in l["subcalls"]]
        got = []
        for line in lines[at + 1:]:
            m = self.STATS_LINE.match(line)
            if not m:
                break
            got.append((m.group(1), int(m.group(2))))
        self.assertEqual(got, want, f"{tag}: Result, label and ' name<' lines with their counts")
        end = at + 1 + len(got)
        errors = sum(l["count"] for l in run["labels"] if l["error"])
        if errors:  # the errors' line, between the statistics and the balance
            self.assertTrue(end < len(lines) and lines[end].startswith(
                                f"Errors: {errors} of {run['result']['count']} calls"),
                            f"{tag}: 'Errors:' line counts {errors} of "
                            f"{run['result']['count']}: {lines[end:end + 1]}")
            end += 1
        self.assertTrue(end < len(lines) and lines[end].startswith("Balance:"),
                        f"{tag}: 'Balance:' line after the report: {lines[end:end + 1]}")
        subs = [l for l in lines[at + 1:end] if "< " in l]
        self.assertTrue(all(l.startswith(" ") for l in subs),
                        f"{tag}: sub-call lines are indented like labels: {subs[:3]}")

    # ---- the cases --------------------------------------------------------------------------

    def test_hash_counts(self):
        # The default schedule, and static (each rank its contiguous slice).
        for ops, seed, threads, schedule in [(40000, 0, 2, []), (9973, 12345, 3, ["static"])]:
            tag = (f"hash N={ops} seed={seed} threads={threads} "
                   f"schedule={' '.join(schedule) or 'default'}")
            with self.subTest(tag):
                args = ["--op", "hash", "--ops", str(ops), "--seed", str(seed),
                        "--threads", str(threads), "--param", f"iterations={ITERATIONS}"]
                args += ["--schedule"] + schedule if schedule else []
                launch, summary = self.run_ok(tag, ARGS.gorgon, args, f"hash_{ops}.json")
                self.assertEqual(len(summary["runs"]), 1, f"{tag}: one run")
                run = summary["runs"][0]
                self.check_run(tag, run, ops=ops, seed=seed, ranks=self.ranks, threads=threads,
                               labels=hash_labels(seed, ops))
                self.assertEqual(run.get("params"), {"iterations": ITERATIONS}, f"{tag}: params")
                if schedule:
                    self.assertEqual(run.get("schedule"), schedule[0], f"{tag}: schedule")
                self.assertEqual(summary["suite"]["result"]["count"], ops, f"{tag}: suite count")
                self.check_text(tag, launch.stdout, run)

    def test_subcalls_and_exceptions(self):
        cases = [("test_scopes", 5003, 11, 2, scopes_labels),
                 ("test_throws", 4001, 3, 3, throws_labels)]
        for op, ops, seed, threads, expect in cases:
            tag = f"{op} N={ops} seed={seed} threads={threads}"
            with self.subTest(tag):
                args = ["--op", op, "--ops", str(ops), "--seed", str(seed),
                        "--threads", str(threads)]
                launch, summary = self.run_ok(tag, ARGS.testops, args, f"{op}.json")
                run = summary["runs"][0]
                self.check_run(tag, run, ops=ops, seed=seed, ranks=self.ranks, threads=threads,
                               labels=expect(seed, ops))
                self.check_text(tag, launch.stdout, run)

    def check_suite(self, tag, launch, summary, runs):
        """`runs`: (ops, seed, ranks, threads) per run, hash operation."""
        self.assertEqual(len(summary["runs"]), len(runs), f"{tag}: {len(runs)} runs")
        for i, (run, (ops, seed, ranks, threads)) in enumerate(zip(summary["runs"], runs)):
            self.check_run(f"{tag} run {i + 1} ({ranks}x{threads})", run, ops=ops, seed=seed,
                           ranks=ranks, threads=threads, labels=hash_labels(seed, ops))
        self.assertEqual(summary["suite"]["runs"], len(runs),
                         f"{tag}: suite merges {len(runs)} runs")
        self.assertEqual(summary["suite"]["result"]["count"], sum(r[0] for r in runs),
                         f"{tag}: suite count")
        out = launch.stdout
        for i in range(len(runs)):
            self.assertEqual(out.count(f"Run {i + 1} of {len(runs)}: "), 1,
                             f"{tag}: 'Run {i + 1} of {len(runs)}' printed once")
        self.assertEqual(out.count(f"Suite of {len(runs)} runs"), 1,
                         f"{tag}: suite report printed once")
        self.assertEqual(out.count("Total time:"), len(runs) + 1,
                         f"{tag}: one report per run and one for the suite")

    def test_runs_suite(self):
        wide = min(2, self.ranks)
        tag = f"--runs 1x1,{wide}x2"
        args = ["--op", "hash", "--ops", "997", "--seed", "3", "--param", "iterations=20",
                "--runs", f"1x1,{wide}x2"]
        launch, summary = self.run_ok(tag, ARGS.gorgon, args, "runs.json")
        self.check_suite(tag, launch, summary, [(997, 3, 1, 1), (997, 3, wide, 2)])

    def test_suite_file(self):
        most = max(1, self.ranks - 1)
        suite = {"op": "hash", "ops": 1201, "seed": 40, "params": {"iterations": 20},
                 "runs": [{"ranks": 1, "threads": 2},
                          {"ranks": most, "ops": 777, "seed": 5000},
                          {"threads": 3}]}
        path = os.path.join(self.tmp, "suite.json")
        with open(path, "w") as f:
            json.dump(suite, f)
        tag = f"--suite (ranks 1, {most}, all)"
        launch, summary = self.run_ok(tag, ARGS.gorgon, ["--suite", path], "suite_out.json")
        self.check_suite(tag, launch, summary,
                         [(1201, 40, 1, 2), (777, 5000, most, 1), (1201, 40, self.ranks, 3)])

    def test_builds_once(self):
        """Validation builds no operation: a suite of two runs at T threads builds exactly one
        instance per thread of each run on each rank (validation built one more per rank)."""
        log = os.path.join(self.tmp, "instances.log")
        tag = "operations built once per thread"
        self.run_ok(tag, ARGS.testops, ["--op", "test_counted", "-p", f"log={log}", "-n", "50",
                                        "--runs", f"1x2,{self.ranks}x3", "-q"], "counted.json")
        with open(log) as f:
            made = len(f.read().splitlines())
        self.assertEqual(made, 1 * 2 + self.ranks * 3, f"{tag}: instances")

    # ---- bad input ----------------------------------------------------------------------

    def bad_inputs(self):
        """(name, args, a fragment the one error message must contain)."""
        def write(name, text):
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        malformed = write("malformed.json", '{"op": "hash", "runs": [{"ranks": 1}')
        unknown_key = write("unknown_key.json",
                            '{"op": "hash", "runs": [{"ranks": 1, "colour": "red"}]}')
        hash_ = ["--op", "hash", "--ops", "10"]
        too_many = str(self.ranks + 1)
        return [
            ("unknown option", hash_ + ["--bogus"], "--bogus"),
            ("--ops 0", ["--op", "hash", "--ops", "0"], "--ops"),
            ("--ops -5", ["--op", "hash", "--ops", "-5"], "'-5'"),
            ("--threads 0", hash_ + ["--threads", "0"], "--threads"),
            (f"--ranks {too_many}", hash_ + ["--ranks", too_many], f"asks for {too_many} ranks"),
            ("--op nosuch", ["--op", "nosuch", "--ops", "10"], "'nosuch'"),
            ("--param nosuch=1", hash_ + ["--param", "nosuch=1"], "'nosuch'"),
            ("--param iterations=abc", hash_ + ["--param", "iterations=abc"], "'abc'"),
            ("--param iterations=0", hash_ + ["--param", "iterations=0"], "iterations"),
            ("--runs 2x", hash_ + ["--runs", "2x"], "--runs"),
            (f"--runs 1x1,{too_many}x1", hash_ + ["--runs", f"1x1,{too_many}x1"], "run 2 of 2"),
            ("--suite missing.json", hash_ + ["--suite", os.path.join(self.tmp, "missing.json")],
             "missing.json"),
            ("malformed suite JSON", hash_ + ["--suite", malformed], "not valid JSON"),
            ("suite with an unknown key", hash_ + ["--suite", unknown_key], "colour"),
            ("--json into a missing directory",
             hash_ + ["--json", os.path.join(self.tmp, "no", "such", "dir", "out.json")],
             "cannot write"),
        ]

    # Run around gorgon_mpi on every rank by test_bad_input: records the rank's exit status,
    # waits (up to 30 s) until every rank has recorded one, then exits with that status, so
    # mpiexec's own status is still gorgon_mpi's. Without the wait, mpiexec would kill the
    # other ranks as soon as one exits non-zero, before they record theirs; and a rank that
    # never returns (a hang) shows up as a missing status instead of being killed unseen.
    STATUS_RECORDER = (
        '"$@"; rc=$?; r=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}; '
        'echo $rc > "$GORGON_RC_DIR/.rc.$r"; mv "$GORGON_RC_DIR/.rc.$r" "$GORGON_RC_DIR/rc.$r"; '
        'i=0; while [ "$(ls "$GORGON_RC_DIR" | wc -l)" -lt "$GORGON_RANKS" ] && [ $i -lt 300 ]; '
        'do sleep 0.1; i=$((i + 1)); done; exit $rc')

    def test_bad_input(self):
        rc_dir = os.path.join(self.tmp, "rc")
        os.makedirs(rc_dir, exist_ok=True)
        env = dict(os.environ, GORGON_RC_DIR=rc_dir, GORGON_RANKS=str(self.ranks),
                   # Only how long mpiexec waits between SIGTERM and SIGKILL when tearing the
                   # job down after a non-zero exit (default 1 s, ~2 s per launch in all);
                   # every rank has recorded its status by then.
                   OMPI_MCA_odls_base_sigkill_timeout="0")
        cases = self.bad_inputs()
        for name, args, fragment in cases:
            tag = f"bad input {name}"
            with self.subTest(tag):
                for f in os.listdir(rc_dir):
                    os.remove(os.path.join(rc_dir, f))
                launch = self.mpiexec(["/bin/sh", "-c", self.STATUS_RECORDER, "sh",
                                       ARGS.gorgon] + args, env=env)
                self.assertFalse(launch.hung, f"{tag}: finishes (no hang): {hang_detail(launch)}")
                statuses = {}
                for f in os.listdir(rc_dir):
                    with open(os.path.join(rc_dir, f)) as fh:
                        statuses[int(f.split(".")[1])] = fh.read().strip()
                self.assertEqual(statuses, {r: "2" for r in range(self.ranks)},
                                 f"{tag}: every rank exits 2")
                self.assertEqual(launch.returncode, 2, f"{tag}: mpiexec exits 2")
                self.check_one_error(tag, launch, fragment)

        # The same once without the recorder: gorgon_mpi itself straight under mpiexec.
        name, args, fragment = next(c for c in cases if c[0] == "--op nosuch")
        tag = f"bad input {name}, plain launch"
        with self.subTest(tag):
            launch = self.run_gorgon(ARGS.gorgon, args)
            self.assertFalse(launch.hung, f"{tag}: finishes (no hang): {hang_detail(launch)}")
            self.assertEqual(launch.returncode, 2, f"{tag}: mpiexec exits 2")
            self.check_one_error(tag, launch, fragment)

    def check_one_error(self, tag, launch, fragment):
        errors = [l for l in launch.stderr.splitlines() if l.startswith("gorgon_mpi: error:")]
        self.assertTrue(len(errors) == 1 and fragment in errors[0]
                        and launch.stderr.count("gorgon_mpi:") == 1,
                        f"{tag}: one error message on stderr, naming {fragment}: "
                        f"stderr {launch.stderr[-2000:]!r}")
        self.assertEqual(launch.stdout.count("Total time:"), 0, f"{tag}: no report on stdout")


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mpiexec", required=True)
    p.add_argument("--ranks", type=int, required=True)
    p.add_argument("--gorgon", required=True, help="the gorgon_mpi binary")
    p.add_argument("--testops", required=True, help="gorgon_mpi_testops (test operations)")
    ARGS, rest = p.parse_known_args()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    print(f"cli_test: {ARGS.ranks} rank(s)", flush=True)
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    # A name that matches no case runs nothing: that is a mistake, not a pass.
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
