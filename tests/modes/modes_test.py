#!/usr/bin/python3
"""Duration, warm-up, rate and threshold modes, and interruption by signals, through
gorgon_mpi under mpiexec. Only hangs are bounded in time (a generous detector); every
figure checked is a count or a ratio measured in the same run."""
import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None
HANG = 180


def command(*options, ranks=None, binary=None):
    return [ARGS.mpiexec, "--oversubscribe", "-np", str(ranks or ARGS.ranks),
            binary or ARGS.gorgon] + [str(o) for o in options]


def gorgon(*options, ranks=None, binary=None, env=None):
    return subprocess.run(command(*options, ranks=ranks, binary=binary), capture_output=True,
                          text=True, timeout=HANG, env=dict(os.environ, **(env or {})))


def summary(path):
    with open(path) as f:
        return json.load(f)


def read_h5(path, expression):
    """Evaluates `expression` over the file (`f`, opened with Debian's h5py) in an independent
    Python and returns its value through JSON."""
    p = subprocess.run(
        ["/usr/bin/python3", "-c",
         "import h5py, json, sys\nf = h5py.File(sys.argv[1], 'r')\n"
         "print(json.dumps(" + expression + "))", path],
        capture_output=True, text=True, timeout=HANG)
    if p.returncode != 0:
        raise AssertionError(f"reading {path}: {p.stderr}")
    return json.loads(p.stdout)


class Modes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.json = os.path.join(self.tmp.name, "s.json")

    def tearDown(self):
        self.tmp.cleanup()

    def test_duration_runs_until_time_is_up_with_unique_numbers(self):
        h5 = os.path.join(self.tmp.name, "d.h5")
        p = gorgon("--op", "sleep", "--param", "time=2ms", "--duration", "1500ms", "--threads", 2,
                   "-q", "--progress-every", "100ms", "--json", self.json, "-o", h5)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("progress:", p.stderr, "--quiet: no progress lines")
        run = summary(self.json)["runs"][0]
        self.assertEqual(run["mode"], "duration")
        self.assertEqual(run["status"], "complete")
        self.assertEqual(run["ops"], run["result"]["count"])
        self.assertGreaterEqual(run["wall_ns"], 1_500_000_000)  # the time was used up
        numbers = read_h5(h5, "[int(n) for n in f['runs/000/calls/number']]")
        self.assertEqual(len(numbers), run["result"]["count"])
        self.assertEqual(len(set(numbers)), len(numbers), "a number was used twice")
        # Each thread calls back to back for 1.5 s: at most 1.5 s / 2 ms calls per thread.
        threads = ARGS.ranks * 2
        self.assertGreater(run["result"]["count"], 0)
        self.assertLessEqual(run["result"]["count"], threads * (1500 // 2 + 1))
        self.assertIn("for 1s 500ms", p.stdout)

    def test_warmup_calls_are_not_in_the_statistics(self):
        h5 = os.path.join(self.tmp.name, "w.h5")
        p = gorgon("--op", "hash", "--param", "iterations=5", "--ops", 1000, "--warmup", 300,
                   "--threads", 2, "-q", "--json", self.json, "-o", h5)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = summary(self.json)["runs"][0]
        self.assertEqual(run["warmup_calls"], 300)
        self.assertEqual(run["result"]["count"], 1000)
        labels = {l["label"]: l["count"] for l in run["labels"]}
        self.assertEqual(labels, {"FAIL": 200, "SUCCESS": 800})  # numbers 0..999 exactly
        self.assertIn("after 300 warm-up calls", p.stdout)
        # In the file the warm-up calls are apart, under runs/000/warmup, with their labels.
        got = read_h5(h5, "{'calls': sorted(int(n) for n in f['runs/000/calls/number']), "
                          "'warm': sorted(int(n) for n in f['runs/000/warmup/calls/number']), "
                          "'labels': f['runs/000/warmup/labels/bytes'][:].tobytes().decode(), "
                          "'columns': sorted(f['runs/000/warmup/calls'].keys()), "
                          "'attr': int(f['runs/000'].attrs['warmup_calls'])}")
        self.assertEqual(got["calls"], list(range(0, 1000)))
        self.assertEqual(got["warm"], list(range(1000, 1300)))  # the numbers after the run's
        self.assertEqual(got["labels"], "FAILSUCCESS")  # the string table's bytes
        self.assertEqual(got["columns"],
                         ["duration_ns", "label", "number", "rank", "start_ns", "thread"])
        self.assertEqual(got["attr"], 300)

    def test_warmup_by_time(self):
        p = gorgon("--op", "sleep", "--param", "time=1ms", "--ops", 100, "--warmup", "200ms",
                   "-q", "--json", self.json)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = summary(self.json)["runs"][0]
        self.assertGreater(run["warmup_calls"], 0)
        self.assertEqual(run["result"]["count"], 100)

    def test_rate_is_achieved_when_the_operation_keeps_up(self):
        # 200 calls/s over all threads for 2 s, each call 1 ms: the schedule is easy to keep.
        p = gorgon("--op", "sleep", "--param", "time=1ms", "--duration", "2s", "--rate", 200,
                   "--threads", 2, "-q", "--json", self.json)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = summary(self.json)["runs"][0]
        achieved = run["result"]["count"] / (run["duration_ns"] / 1e9)
        self.assertAlmostEqual(achieved / 200.0, 1.0, delta=0.05)
        self.assertIn("Rate: asked 200 calls/s", p.stdout)

    def test_late_calls_counted_when_the_operation_is_slower_than_the_schedule(self):
        # Each thread is asked for 100 calls/s but a call takes 20 ms: almost every call is late,
        # and latency (from the intended start) grows far past the 20 ms service time.
        threads = ARGS.ranks
        h5 = os.path.join(self.tmp.name, "r.h5")
        p = gorgon("--op", "sleep", "--param", "time=20ms", "--ops", 50 * threads,
                   "--rate", 100 * threads, "-q", "--json", self.json, "-o", h5)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = summary(self.json)["runs"][0]
        self.assertEqual(run["result"]["count"], 50 * threads)
        self.assertGreater(run["late_calls"], 0.8 * run["result"]["count"])
        self.assertGreater(run["result"]["max_ns"], 10 * 20e6)
        # The file has each call's start delay: a call is late when it started one interval
        # (10 ms for 100 calls/s per thread) or more after its intended start.
        got = read_h5(h5, "[int(d) for d in f['runs/000/calls/start_delay_ns']]")
        self.assertEqual(len(got), 50 * threads)
        self.assertEqual(sum(1 for d in got if d >= 10_000_000), run["late_calls"])
        self.assertFalse(read_h5(h5, "'warmup' in f['runs/000']"))

    def test_thresholds_pass_and_fail(self):
        p = gorgon("--op", "noop", "--ops", 1000, "-q", "--fail-if", "errors<1%",
                   "--fail-if", "count>=1000", "--fail-if", "ok:p99<1s")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("Threshold", p.stdout)
        p = gorgon("--op", "sleep", "--param", "time=2ms", "--ops", 20, "-q",
                   "--fail-if", "p50<1ms", "--fail-if", "rate>1000000", "--fail-if", "errors<1%")
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertEqual(p.stdout.count("Threshold "), 2)
        self.assertRegex(p.stdout, r"Threshold p50<1ms failed: measured \d\.\d\dms")
        self.assertIn("Threshold rate>1000000 failed", p.stdout)

    def test_bad_mode_options_exit_2(self):
        for bad in (["--duration", "0s"], ["--duration", "soon"], ["--rate", "0"],
                    ["--rate", "-5"], ["--warmup", "abc"], ["--fail-if", "p99"],
                    ["--fail-if", "latency<5ms"], ["--fail-if", "p99<fast"],
                    ["--time-limit", "0s"]):
            p = gorgon("--op", "noop", *bad)
            self.assertEqual(p.returncode, 2, f"{bad}: {p.stdout} {p.stderr}")
            self.assertEqual(p.stderr.count("gorgon_mpi: error:"), 1, f"{bad}: {p.stderr}")

    def test_time_limit_stops_cleanly(self):
        p = gorgon("--op", "sleep", "--param", "time=5ms", "--ops", 1000000, "--threads", 2,
                   "--time-limit", "1s", "-q", "--json", self.json)
        self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
        run = summary(self.json)["runs"][0]
        self.assertEqual(run["status"], "interrupted")
        self.assertEqual(run["stop_reason"], "time limit")
        self.assertGreater(run["result"]["count"], 0)
        self.assertLess(run["result"]["count"], 1000000)

    def test_slurm_job_end_time_stops_cleanly(self):
        """Under Slurm (SLURM_JOB_ID set on the ranks) rank 0 asks squeue how long the job has
        left; a stand-in squeue says 4 s, so the run stops by itself with its file written."""
        with tempfile.TemporaryDirectory() as tmp:
            squeue = os.path.join(tmp, "squeue")
            asked = os.path.join(tmp, "asked")
            with open(squeue, "w") as f:
                f.write(f"#!/bin/sh\necho \"$@\" > {asked}\necho 0:04\n")
            os.chmod(squeue, 0o755)
            h5 = os.path.join(tmp, "t.h5")
            # mpiexec by name, not by its absolute path: Open MPI takes an absolute path as
            # --prefix and puts its bin/ (where Debian's real squeue is) first on the ranks' PATH.
            env = dict(os.environ)
            env["PATH"] = os.path.dirname(ARGS.mpiexec) + ":" + env["PATH"]
            cmd = [os.path.basename(ARGS.mpiexec), "--oversubscribe", "-np", str(ARGS.ranks),
                   "-x", "SLURM_JOB_ID=4242", "-x", "PATH=" + tmp + ":" + os.environ["PATH"],
                   ARGS.gorgon, "--op", "sleep", "--param", "time=5ms", "--ops", "1000000",
                   "-q", "--json", self.json, "-o", h5]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG, env=env)
            self.assertEqual(p.returncode, 4, p.stdout + p.stderr)
            with open(asked) as f:
                self.assertEqual(f.read().split(), ["-h", "-o", "%L", "-j", "4242"])
            run = summary(self.json)["runs"][0]
            self.assertEqual(run["status"], "interrupted")
            self.assertEqual(run["stop_reason"], "time limit")
            self.assertGreater(run["result"]["count"], 0)
            self.assertEqual(read_h5(h5, "f['runs/000'].attrs['status'].decode()"), "interrupted")


def maps(pid, name):
    """Whether process `pid` has a file named `name` mapped (a library loaded)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return name in f.read()
    except OSError:
        return False


class Signals(unittest.TestCase):
    """A signal to one rank midway: every rank stops, the report covers what completed."""

    def start(self, *options):
        """Starts gorgon_mpi with `options` (the test operations' binary when the first is
        "--binary-testops") and returns once the run is under way (its progress lines say
        so)."""
        binary = None
        if options and options[0] == "--binary-testops":
            binary, options = ARGS.testops, options[1:]
        proc = subprocess.Popen(command(*options, "--progress-every", "200ms", binary=binary),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = False
        deadline = time.monotonic() + HANG
        while not started and time.monotonic() < deadline:
            line = proc.stderr.readline()
            started = line.startswith("progress:")
            self.first_progress = line
            if not line and proc.poll() is not None:
                break
        self.assertTrue(started, "the run never reported progress")
        return proc

    def last_rank(self, proc):
        """The pid of the last rank (not rank 0) of an mpiexec started by start()."""
        ranks = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                               text=True).stdout.split()
        self.assertEqual(len(ranks), ARGS.ranks)
        return int(ranks[-1])

    def interrupt(self, sig, target):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.json")
            h5 = os.path.join(tmp, "calls.h5")
            proc = self.start("--op", "sleep", "--param", "time=5ms", "--ops", 10 ** 7,
                              "--threads", 2, "--json", path, "-o", h5)
            os.kill(proc.pid if target == "mpiexec" else self.last_rank(proc), sig)
            out, err = proc.communicate(timeout=HANG)
            self.assertEqual(proc.returncode, 4, out + err)
            run = summary(path)["runs"][0]
            name = signal.Signals(sig).name
            self.assertEqual(run["status"], "interrupted")
            self.assertEqual(run["stop_reason"], name)
            count = run["result"]["count"]
            self.assertGreater(count, 0)
            self.assertLess(count, 10 ** 7)
            self.assertEqual(sum(r["calls"] for r in run["balance"]["ranks"]), count)
            self.assertIn(f"Interrupted ({name}): the report covers the {count} calls", out)
            # The file, read by an independent reader: valid, marked, every completed call.
            check = subprocess.run(
                ["/usr/bin/python3", "-c",
                 "import h5py,sys; r=h5py.File(sys.argv[1],'r')['runs/000']; "
                 "print(r.attrs['status'].decode(), r.attrs['stop_reason'].decode(), r['calls/number'].shape[0], "
                 "len(set(r['calls/number'][:])))", h5],
                capture_output=True, text=True, timeout=HANG)
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertEqual(check.stdout.split(), ["interrupted", name, str(count), str(count)])

    def test_a_second_signal_aborts(self):
        """The first signal stops cleanly; a second one to the same rank, while its calls are
        still in flight, ends it at once: no clean exit 4, no file under the final names."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.json")
            h5 = os.path.join(tmp, "calls.h5")
            # Calls of 5 s: after the first signal a rank waits for its call in flight. (The
            # first progress line comes after the first call: rank 0's master thread makes
            # calls too, and takes part in the progress rounds between them.)
            proc = self.start("--op", "sleep", "--param", "time=5s", "--ops", 10 ** 6,
                              "--json", path, "-o", h5)
            target = self.last_rank(proc)
            os.kill(target, signal.SIGTERM)
            time.sleep(0.3)  # the first is handled (a flag) before the second arrives
            os.kill(target, signal.SIGTERM)
            out, err = proc.communicate(timeout=HANG)
            self.assertNotIn(proc.returncode, (0, 4), out + err)
            self.assertFalse(os.path.exists(path), "a JSON summary was written")
            self.assertFalse(os.path.exists(h5), "an HDF5 file is under the final name")

    def test_a_signal_in_the_warm_up_stops_every_rank_within_rounds(self):
        """A signal to the last rank during a long warm-up reaches every rank through the
        warm-up's own rounds: the run ends interrupted long before the warm-up would have, with
        no measured call (the stop was carried only when the warm-up ended before)."""
        warmup = 120
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.json")
            began = time.monotonic()
            proc = self.start("--op", "sleep", "--param", "time=5ms", "--ops", 1000,
                              "--warmup", f"{warmup}s", "--threads", 2, "--json", path)
            os.kill(self.last_rank(proc), signal.SIGUSR1)
            out, err = proc.communicate(timeout=HANG)
            took = time.monotonic() - began
            self.assertEqual(proc.returncode, 4, out + err)
            self.assertIn(" warm-up: ", self.first_progress, "the warm-up shows its progress")
            self.assertLess(took, warmup / 2, "the warm-up ran on after the signal")
            run = summary(path)["runs"][0]
            self.assertEqual(run["status"], "interrupted")
            self.assertEqual(run["stop_reason"], "SIGUSR1")
            self.assertEqual(run["result"]["count"], 0)
            self.assertGreater(run["warmup_calls"], 0)

    def test_a_signal_during_mpi_init_stops_the_run_cleanly(self):
        """SIGUSR1 to the last rank while it is inside MPI_Init_thread (made 3 s slow by a
        preloaded shim, as on a large cluster): the rank had its handler before MPI started, so
        every rank stops at the start and says why, instead of the job being killed."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.json")
            env = dict(os.environ, LD_PRELOAD=ARGS.slow_init, GORGON_TEST_INIT_DELAY_MS="3000")
            cmd = command("--op", "sleep", "--param", "time=5ms", "--ops", 10 ** 7,
                          "--json", path, "-q")
            cmd[1:1] = ["-x", "LD_PRELOAD", "-x", "GORGON_TEST_INIT_DELAY_MS"]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=env)
            target, deadline = None, time.monotonic() + HANG
            while target is None and time.monotonic() < deadline and proc.poll() is None:
                for pid in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                          text=True).stdout.split():
                    if maps(int(pid), os.path.basename(ARGS.slow_init)):
                        target = int(pid)
                time.sleep(0.01)
            self.assertIsNotNone(target, "no rank started")
            time.sleep(1)  # its libraries are loaded and main has begun: inside MPI_Init_thread
            os.kill(target, signal.SIGUSR1)
            out, err = proc.communicate(timeout=HANG)
            self.assertEqual(proc.returncode, 4, out + err)
            self.assertIn("interrupted (SIGUSR1) before the first run: 0 of 1 runs done", err)
            self.assertFalse(os.path.exists(path), "no run, no summary")

    def test_a_long_call_in_flight_delays_no_other_ranks_stop(self):
        """The last rank is inside one 10 s call when rank 0 gets SIGUSR1: its agent thread
        keeps the rounds, so rank 0 stops within a round while that call goes on (the call
        ends, and counts, before the run ends). Timed from the file alone: rank 0's last call
        ends long before the slow call does."""
        if ARGS.ranks < 2:
            self.skipTest("needs a second rank to be slow (np1 has none)")
        with tempfile.TemporaryDirectory() as tmp:
            h5 = os.path.join(tmp, "calls.h5")
            proc = self.start("--binary-testops", "--op", "test_slow_rank", "-p", "us=10000000",
                              "-p", "base_us=1000", "--ops", 10 ** 6, "--schedule", "static",
                              "-o", h5)
            ranks = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                   text=True).stdout.split()
            os.kill(int(ranks[0]), signal.SIGUSR1)  # rank 0: the lowest pid of the launch
            out, err = proc.communicate(timeout=HANG)
            self.assertEqual(proc.returncode, 4, out + err)
            got = read_h5(h5, "(lambda r: {'rank': r['calls/rank'][:].tolist(), "
                              "'end': (r['calls/start_ns'][:] + r['calls/duration_ns'][:]).tolist(),"
                              "'dur': r['calls/duration_ns'][:].tolist(), "
                              "'offset': r['balance/ranks/clock_offset_ns'][:].tolist()})"
                              "(f['runs/000'])")
        slow = ARGS.ranks - 1
        end = [e - got["offset"][r] for e, r in zip(got["end"], got["rank"])]
        slow_calls = [i for i, r in enumerate(got["rank"]) if r == slow]
        self.assertEqual(len(slow_calls), 1, "the slow rank made its one call, to its end")
        slow_end = end[slow_calls[0]]
        slow_took = got["dur"][slow_calls[0]]
        self.assertGreaterEqual(slow_took, 10 ** 10)
        rank0_end = max(e for e, r in zip(end, got["rank"]) if r == 0)
        self.assertLess(rank0_end, slow_end - slow_took / 2,
                        "rank 0 went on calling while the slow rank's call was in flight")

    def killed_and_recovered(self, kill, *options, run=0):
        """Starts a run with -o (1 ms sleeps unless `options` say otherwise), waits until
        every rank's spill file of run `run` holds a frame, lets `kill(proc, rank_pids)` end
        it abruptly, then recovers the spill files and returns what the file says of each
        of its runs (read with h5py); of run 0 also `shown`, the most calls a progress line
        had shown half a second before the kill (the flush interval is 100 ms)."""
        options = options or ("--op", "sleep", "--param", "time=1ms", "--ops", 10 ** 6,
                              "--threads", 2)
        with tempfile.TemporaryDirectory() as tmp:
            h5 = os.path.join(tmp, "k.h5")
            proc = self.start(*options, "--flush-every", "100ms", "-o", h5)
            started = time.monotonic()
            shown = []  # (when read, calls), run 0's lines

            def read_progress():
                for line in proc.stderr:
                    m = re.match(r"progress: \S+ +\d+% (\d+)/", line)
                    if m:
                        shown.append((time.monotonic(), int(m.group(1))))
            reader = threading.Thread(target=read_progress)
            reader.start()
            ranks = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)],
                                                    capture_output=True, text=True).stdout.split()]
            deadline = time.monotonic() + HANG
            spill = None
            while time.monotonic() < deadline:
                dirs = [d for d in os.listdir(tmp) if d.endswith(".spill")]
                if dirs:
                    spill = os.path.join(tmp, dirs[0])
                    files = [f for f in os.listdir(spill)
                             if f.startswith(f"run-{run:03}.") and not f.endswith(".json")]
                    if (len(files) == ARGS.ranks and time.monotonic() > started + 1.5 and
                            all(os.path.getsize(os.path.join(spill, f)) > 0 for f in files)):
                        break
                time.sleep(0.05)
            self.assertIsNotNone(spill, "no spill directory beside the target")
            time.sleep(1.2)  # well after a frame: a longer flush interval would lose calls
            killed_at = time.monotonic()
            kill(proc, ranks)
            proc.wait(timeout=HANG)
            reader.join(timeout=HANG)
            self.assertNotEqual(proc.returncode, 0)
            self.assertFalse(os.path.exists(h5), "a killed run wrote no file")
            out = os.path.join(tmp, "recovered.h5")
            # A spill file whose writer still holds it (a rank that outlived mpiexec) is
            # refused on every rank, and nothing is written or removed.
            files, beside = sorted(os.listdir(spill)), sorted(os.listdir(tmp))
            last = [f for f in files if not f.endswith(".json")][-1]
            with open(os.path.join(spill, last), "rb") as held:
                fcntl.flock(held, fcntl.LOCK_EX)
                p = gorgon("--recover", spill, "-o", out)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertEqual(len(error_lines(p.stderr)), 1, p.stderr)
            self.assertIn("is still being written by a running rank", p.stderr)
            self.assertEqual(sorted(os.listdir(tmp)), beside, "no file, no temporary left")
            self.assertEqual(sorted(os.listdir(spill)), files)
            p = gorgon("--recover", spill, "-o", out)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            for r in range(run + 1):
                self.assertIn(f"recovered run {r}:", p.stdout)
            # Recovering again into the same file is refused like any existing -o target.
            again = gorgon("--recover", spill, "-o", out)
            self.assertEqual(again.returncode, 2, again.stderr)
            got = read_h5(out, "[(lambda r: {'status': r.attrs['status'].decode(), "
                               "'reason': r.attrs['stop_reason'].decode(), "
                               "'rows': len(r['calls/number']), "
                               "'unique': len(set(r['calls/number'][:].tolist())), "
                               "'count': int(r['summary/count'][0]), "
                               "'ranks': r['balance/ranks/calls'][:].tolist()})(r) "
                               "for r in f['runs'].values()]")
            self.assertEqual(len(got), run + 1, "every run of the job, and no other")
            if run > 0:
                return got
            before = [n for when, n in shown if when <= killed_at - 0.5]
            self.assertTrue(before, f"no progress line half a second before the kill: {shown}")
            got[0]["shown"] = max(before)
            return got[0]

    def test_timeout_of_mpiexec_leaves_a_file_or_spill_files_to_recover(self):
        """`timeout 5 mpiexec ...`: SIGTERM reaches mpiexec, which passes it on and kills the
        ranks a second later. Either the ranks stopped cleanly within that second and wrote
        the file, or their spill files recover it. Both hold every call the progress lines
        had shown half a second before the end (the flush interval is 100 ms)."""
        with tempfile.TemporaryDirectory() as tmp:
            h5 = os.path.join(tmp, "t.h5")
            proc = subprocess.Popen(
                ["timeout", "5"] + command("--op", "sleep", "--param", "time=1ms", "--ops",
                                           10 ** 7, "--threads", 2, "--flush-every", "100ms",
                                           "--progress-every", "200ms", "-o", h5),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            shown = []  # (when read, calls)
            for line in proc.stderr:
                m = re.match(r"progress: \S+ +\d+% (\d+)/", line)
                if m:
                    shown.append((time.monotonic(), int(m.group(1))))
            proc.wait(timeout=HANG)
            end = time.monotonic()
            self.assertEqual(proc.returncode, 124, "timeout ended it")
            # The ranks may outlive mpiexec by a moment (stopping cleanly, or being killed):
            # a recovery while one still writes is refused, so wait for them, as a user must.
            deadline = time.monotonic() + HANG
            while subprocess.run(["pgrep", "-f", h5], capture_output=True).returncode == 0:
                self.assertLess(time.monotonic(), deadline, "the ranks outlived mpiexec")
                time.sleep(0.05)
            if os.path.exists(h5):
                how, out = "written by the ranks", h5
            else:
                spills = [d for d in os.listdir(tmp) if d.endswith(".spill")]
                self.assertEqual(len(spills), 1, f"neither the file nor spill files: {spills}")
                how, out = "recovered", os.path.join(tmp, "recovered.h5")
                p = gorgon("--recover", os.path.join(tmp, spills[0]), "-o", out)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            got = read_h5(out, "(lambda r: {'status': r.attrs['status'].decode(), "
                               "'rows': len(r['calls/number']), "
                               "'unique': len(set(r['calls/number'][:].tolist()))})"
                               "(f['runs/000'])")
        self.assertEqual(got["status"], "interrupted", how)
        self.assertEqual(got["unique"], got["rows"], how)
        before = [n for when, n in shown if when <= end - 0.5]
        self.assertTrue(before, f"no progress line 0.5 s before the end: {shown}")
        self.assertGreaterEqual(got["rows"], max(before), how)

    def test_a_suites_finished_runs_are_recovered_with_the_one_killed(self):
        """SIGKILL of every rank in the second run of a suite: the first run, finished and
        written to the temporary file, comes back whole from its spill files, the second
        as far as it went."""
        with tempfile.TemporaryDirectory() as tmp:
            suite = os.path.join(tmp, "suite.json")
            with open(suite, "w") as f:
                json.dump({"op": "sleep", "params": {"time": "1ms"}, "threads": 2,
                           "runs": [{"ops": 300}, {"ops": 10 ** 6}]}, f)

            def kill(proc, ranks):
                for pid in ranks:
                    os.kill(pid, signal.SIGKILL)
            first, second = self.killed_and_recovered(kill, "--suite", suite, run=1)
        self.assertEqual(first["rows"], 300, "the finished run, every call")
        self.assertEqual(first["unique"], 300)
        self.assertEqual(first["count"], 300)
        self.check_recovered(second)

    def test_a_run_not_started_on_every_rank_is_skipped(self):
        """A spill directory where one rank of run 1 has no recovery note: run 0 is
        recovered, run 1 skipped with a note. Made by hand from a real killed job."""
        if ARGS.ranks < 2:
            self.skipTest("needs a rank without a note beside one with it (np1 has one rank)")
        with tempfile.TemporaryDirectory() as tmp:
            h5 = os.path.join(tmp, "k.h5")
            proc = self.start("--op", "sleep", "--param", "time=1ms", "--ops", 10 ** 6,
                              "--flush-every", "100ms", "-o", h5)
            def ready(spill):
                files = [os.path.join(spill, f"run-000.rank-{r:05}") for r in range(ARGS.ranks)]
                return all(os.path.exists(f + ".json") and os.path.exists(f) and
                           os.path.getsize(f) > 0 for f in files)
            deadline, spill = time.monotonic() + HANG, None
            while time.monotonic() < deadline:
                dirs = [d for d in os.listdir(tmp) if d.endswith(".spill")]
                spill = os.path.join(tmp, dirs[0]) if dirs else None
                if spill and ready(spill):
                    break
                time.sleep(0.05)
            self.assertIsNotNone(spill, "no spill directory beside the target")
            for pid in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                      text=True).stdout.split():
                os.kill(int(pid), signal.SIGKILL)
            proc.communicate(timeout=HANG)
            for r in range(ARGS.ranks):  # run 1: begun on every rank, a note on rank 0 only
                shutil.copy(os.path.join(spill, f"run-000.rank-{r:05}"),
                            os.path.join(spill, f"run-001.rank-{r:05}"))
            shutil.copy(os.path.join(spill, "run-000.rank-00000.json"),
                        os.path.join(spill, "run-001.rank-00000.json"))
            out = os.path.join(tmp, "recovered.h5")
            p = gorgon("--recover", spill, "-o", out)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("recovered run 0:", p.stdout)
            self.assertNotIn("recovered run 1:", p.stdout)
            self.assertIn("run 1 of", p.stderr)
            self.assertIn("skipped", p.stderr)
            self.assertEqual(read_h5(out, "len(f['runs'])"), 1)
            # With no run left to recover, it is an error.
            for r in range(ARGS.ranks):
                os.unlink(os.path.join(spill, f"run-000.rank-{r:05}.json"))
            os.unlink(os.path.join(spill, "run-001.rank-00000.json"))
            p = gorgon("--recover", spill, "-o", os.path.join(tmp, "none.h5"))
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertIn("holds no run that started", p.stderr)

    def check_recovered(self, got):
        self.assertEqual(got["status"], "interrupted")
        self.assertEqual(got["reason"], "recovered after an abrupt end")
        self.assertGreater(got["rows"], 0)
        self.assertLess(got["rows"], 10 ** 6)
        self.assertEqual(got["unique"], got["rows"], "every call number once")
        self.assertEqual(got["count"], got["rows"], "the summary counts the rows")
        self.assertEqual(sum(got["ranks"]), got["rows"])
        self.assertEqual(len(got["ranks"]), ARGS.ranks)
        self.assertTrue(all(c > 0 for c in got["ranks"]), got["ranks"])
        if "shown" in got:
            self.assertGreaterEqual(got["rows"], got["shown"], "the calls progress had shown")

    def test_every_rank_killed_the_spill_files_are_recovered(self):
        """SIGKILL of every rank (a lost job): the spill files become a file."""
        def kill(proc, ranks):
            for pid in ranks:
                os.kill(pid, signal.SIGKILL)
        self.check_recovered(self.killed_and_recovered(kill))

    def test_one_rank_killed_the_spill_files_are_recovered(self):
        """SIGKILL of the last rank: mpiexec ends the others; the spill files of all become
        a file."""
        self.check_recovered(
            self.killed_and_recovered(lambda proc, ranks: os.kill(ranks[-1], signal.SIGKILL)))

    def test_mpiexec_killed_the_spill_files_are_recovered(self):
        """SIGKILL of mpiexec itself, then of the ranks it leaves (as a batch system's end
        of a job does): the spill files become a file."""
        def kill(proc, ranks):
            os.kill(proc.pid, signal.SIGKILL)
            for pid in ranks:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.check_recovered(self.killed_and_recovered(kill))

    def test_sigint_to_a_rank(self):
        self.interrupt(signal.SIGINT, "rank")

    def test_sigterm_to_a_rank(self):
        self.interrupt(signal.SIGTERM, "rank")

    def test_sigusr1_to_a_rank(self):
        self.interrupt(signal.SIGUSR1, "rank")

    def test_sigusr1_to_mpiexec_is_forwarded(self):
        self.interrupt(signal.SIGUSR1, "mpiexec")



def gorgon_rss(*options, ranks=None):
    """Runs gorgon_mpi, sampling its ranks' resident memory (VmRSS, /proc) every 20 ms; returns
    the finished process and the largest sample of any rank, in bytes."""
    p = subprocess.Popen(command(*options, ranks=ranks), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    peak, deadline = 0, time.monotonic() + HANG
    while p.poll() is None and time.monotonic() < deadline:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":", 1) for line in f if ":" in line)
                if status["Name"].strip() == "gorgon_mpi" and int(status["PPid"]) == p.pid:
                    peak = max(peak, int(status["VmRSS"].split()[0]) * 1024)
            except (OSError, KeyError, ValueError):
                continue
        time.sleep(0.02)
    out, err = p.communicate(timeout=HANG)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err), peak


class Memory(unittest.TestCase):
    """--memory: the record stream folds full blocks while the run goes, so a rank's memory
    stays within its budget whatever the run's length, and the statistics are those of every
    row."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.json = os.path.join(self.tmp.name, "s.json")

    def tearDown(self):
        self.tmp.cleanup()

    def test_resident_memory_stays_within_the_budget(self):
        calls = 30_000_000  # 28 bytes a row: 840 MB of rows if they all stayed
        budget = 32 << 20
        h5 = os.path.join(self.tmp.name, "big.h5")
        for file in ([], ["-o", h5]):  # with -o the rows go to the spill files as it runs
            with self.subTest(file=file):
                p, peak = gorgon_rss("--op", "noop", "-n", calls, "--memory", "32M", "--json",
                                     self.json, "--force", "--progress", "none", *file)
                self.assertEqual(p.returncode, 0, p.stderr)
                s = summary(self.json)["runs"][0]
                self.assertEqual(s["result"]["count"], calls)
                self.assertEqual(s["record_budget_bytes"], budget)
                self.assertLessEqual(s["record_peak_bytes"], budget)
                rows_per_rank = calls // ARGS.ranks * 28
                # The budget and 64 MiB for the program itself (MPI, HDF5, libraries, the
                # file's staging buffer), against the rows a rank would hold without the stream.
                self.assertGreater(peak, 0, "no rank was sampled")
                self.assertLess(peak, budget + (64 << 20),
                                f"peak RSS {peak >> 20} MiB; the rows alone are "
                                f"{rows_per_rank >> 20} MiB")
                if file:
                    self.assertEqual(read_h5(h5, "len(f['runs/000/calls/number'])"), calls)
                    self.assertEqual(sorted(os.listdir(self.tmp.name)), ["big.h5", "s.json"],
                                     "no spill file or directory is left")

    def test_statistics_are_those_of_every_row(self):
        h5 = os.path.join(self.tmp.name, "m.h5")
        p = gorgon("--op", "noop", "-n", "2e6", "-t", "2", "-o", h5, "--progress", "none")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Row 0 of the summary (every call) against the raw column, computed here in two passes.
        got = read_h5(h5, "(lambda r, np: (lambda d: {"
                          "'count': int(r['summary/count'][0]), 'n': len(d),"
                          "'sum': int(r['summary/sum_ns'][0]), 'raw_sum': int(d.sum()),"
                          "'min': int(r['summary/min_ns'][0]), 'raw_min': int(d.min()),"
                          "'max': int(r['summary/max_ns'][0]), 'raw_max': int(d.max()),"
                          "'m2': float(r['summary/m2'][0]),"
                          "'raw_m2': float(((d.astype(np.float64) - d.sum() / len(d)) ** 2).sum()),"
                          "'first': int(r['summary/histogram_first_bucket'][0]),"
                          "'counts': r['summary/histogram_counts'][int(r['summary/histogram_offset'][0]):"
                          "int(r['summary/histogram_offset'][1])].tolist(),"
                          "'durations': np.bincount(d[d < 2**20].astype(np.int64)).tolist()"
                          " if d.max() < 256 else None,"
                          "})(r['calls/duration_ns'][:]))(f['runs/000'], __import__('numpy'))")
        self.assertEqual(got["count"], 2_000_000)
        self.assertEqual(got["n"], 2_000_000)
        for k in ("sum", "min", "max"):
            self.assertEqual(got[k], got["raw_" + k], k)
        self.assertAlmostEqual(got["m2"] / got["raw_m2"], 1.0, delta=1e-9)
        if got["durations"] is not None:  # every duration below 256 ns: one bucket per value
            want = got["durations"][got["first"]:]
            while want and want[-1] == 0:
                want.pop()
            self.assertEqual(got["counts"], want)

    def test_recover_refuses_what_it_cannot_recover_with_exit_2(self):
        empty = os.path.join(self.tmp.name, "empty.spill")
        five = os.path.join(self.tmp.name, "five.spill")  # a run of 5 ranks: never launched here
        os.makedirs(empty)
        os.makedirs(five)
        for r in range(5):
            open(os.path.join(five, f"run-000.rank-{r:05}"), "w").close()
        out = os.path.join(self.tmp.name, "r.h5")
        for args, says in (([empty], "--recover needs -o"),
                           ([empty, "-o", out], "holds no spill files"),
                           ([os.path.join(self.tmp.name, "missing"), "-o", out], "--recover"),
                           ([five, "-o", out], "the run had 5 ranks")):
            p = gorgon("--recover", *args)
            self.assertEqual(p.returncode, 2, f"{args}: {p.stderr}")
            self.assertEqual(len(error_lines(p.stderr)), 1, p.stderr)
            self.assertIn(says, p.stderr)
            self.assertFalse(os.path.exists(out))

    def test_a_budget_that_cannot_hold_the_threads_exits_2(self):
        """And other bad --memory and --flush-every values."""
        for bad in (["--memory", "1K"], ["--memory", "lots"], ["--memory", "0"],
                    ["--memory", "1M", "-t", "4"], ["--flush-every", "0"],
                    ["--flush-every", "soon"]):
            p = gorgon("--op", "noop", "-n", "10", *bad)
            self.assertEqual(p.returncode, 2, f"{bad}: {p.stderr}")
            self.assertEqual(len(error_lines(p.stderr)), 1, p.stderr)
            self.assertIn(bad[0], p.stderr)


def testops(*options, env=None):
    """gorgon_mpi with the test operations (test_slow_rank)."""
    return gorgon(*options, binary=ARGS.testops, env=env)


def error_lines(stderr):
    return [line for line in stderr.splitlines() if "error:" in line]


class Schedules(unittest.TestCase):
    """--schedule, --stonewall and --wear-out: what the file records, read back with h5py."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.h5 = os.path.join(self.tmp.name, "s.h5")

    def tearDown(self):
        self.tmp.cleanup()

    def balance(self):
        return read_h5(self.h5, "{k: f['runs/000/balance/ranks/' + k][:].tolist() for k in "
                                "('calls', 'stonewall_calls')}")

    def attrs(self):
        return read_h5(self.h5, "{k: (v.decode() if isinstance(v, bytes) else int(v)) for k, v in "
                                "f['runs/000'].attrs.items() if k in ('schedule', 'stonewall_ns', "
                                "'wear_out', 'stonewall_reached', 'ops')}")

    def unique_numbers(self):
        return read_h5(self.h5, "[len(f['runs/000/calls/number']), "
                                "len(set(f['runs/000/calls/number'][:].tolist()))]")

    def test_stonewall_stops_every_rank_and_the_file_keeps_each_ranks_calls(self):
        p = testops("--op", "test_slow_rank", "-p", "us=400", "-p", "base_us=100", "--ops", "1e7",
                    "-t", 2, "--stonewall", "1s", "-q", "-o", self.h5)
        self.assertEqual(p.returncode, 0, p.stderr)
        a = self.attrs()
        self.assertEqual((a["stonewall_ns"], a["stonewall_reached"], a["wear_out"]),
                         (10**9, 1, 0))
        b = self.balance()
        self.assertEqual(b["stonewall_calls"], b["calls"], "no wear-out: the calls at the wall")
        total, unique = self.unique_numbers()
        self.assertEqual(total, sum(b["calls"]))
        self.assertEqual(unique, total, "every number at most once")
        self.assertLess(total, 10**7, "the stonewall cut the run short")
        if ARGS.ranks > 1:
            self.assertLess(b["stonewall_calls"][-1], min(b["stonewall_calls"][:-1]),
                            "the slow last rank made fewer calls by the wall")
        self.assertRegex(p.stdout, r"Stonewall: at 1\.00s, calls per rank \d+\.\.\d+, "
                                   + str(total) + r" in all, [\d.]+k? calls/s\n")

    def test_wear_out_brings_every_rank_to_the_busiest_ranks_count(self):
        p = testops("--op", "test_slow_rank", "-p", "us=400", "-p", "base_us=200", "--ops", "1e7",
                    "-t", 2, "--stonewall", "1s", "--wear-out", "-q", "-o", self.h5)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.attrs()["wear_out"], 1)
        b = self.balance()
        busiest = max(b["stonewall_calls"])
        self.assertEqual(b["calls"], [busiest] * ARGS.ranks, "each rank caught up exactly")
        if ARGS.ranks > 1:
            self.assertLess(b["stonewall_calls"][-1], busiest)
        total, unique = self.unique_numbers()
        self.assertEqual((total, unique), (busiest * ARGS.ranks, busiest * ARGS.ranks))
        self.assertIn("with the wear-out " + str(total) + " calls in", p.stdout)

    def test_a_stonewall_after_the_last_call_is_not_reached(self):
        p = gorgon("--op", "noop", "--ops", 500, "--stonewall", "60s", "-q", "-o", self.h5)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.attrs()["stonewall_reached"], 0)
        self.assertEqual(self.unique_numbers(), [500, 500])
        self.assertIn("Stonewall: 60.0s, not reached", p.stdout)

    def test_each_schedule_is_recorded_and_calls_every_number_once(self):
        for schedule in ("static", "dynamic", "guided"):
            with self.subTest(schedule=schedule):
                p = gorgon("--op", "noop", "--ops", 30011, "-t", 2, "--schedule", schedule, "-q",
                           "-o", self.h5, "--force")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(self.attrs()["schedule"], schedule)
                self.assertEqual(self.unique_numbers(), [30011, 30011])

    def test_without_one_sided_windows_the_default_falls_back_and_a_chosen_one_exits_2(self):
        no_osc = {"OMPI_MCA_osc": "monitoring"}  # no component that can make a window
        p = testops("--op", "noop", "--ops", 1000, "-q", "-o", self.h5, env=no_osc)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.attrs()["schedule"], "static")
        self.assertEqual(self.unique_numbers(), [1000, 1000])
        self.assertEqual(p.stderr.count("note: the dynamic schedule fell back to static"), 1,
                         p.stderr)
        p = testops("--op", "noop", "--ops", 1000, "-q", "--schedule", "guided", env=no_osc)
        self.assertEqual(p.returncode, 2, p.stderr)
        errors = error_lines(p.stderr)
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("--schedule guided: MPI could not make a one-sided window", errors[0])
        self.assertIn("osc pt2pt", errors[0])

    def test_combinations_that_cannot_apply_exit_2_with_one_message(self):
        cases = [
            (["--schedule", "round-robin"], "invalid --schedule 'round-robin'"),
            (["--schedule", "guided", "--duration", "1s"], "--schedule guided"),
            (["--stonewall", "1s", "--duration", "2s"], "--stonewall applies to a number of calls"),
            (["--stonewall", "1s", "--rate", "100"], "--stonewall needs a closed loop"),
            (["--wear-out"], "--wear-out requires --stonewall"),
            (["--stonewall", "0s"], "--stonewall must be longer than 0"),
        ]
        for options, words in cases:
            with self.subTest(options=options):
                p = gorgon("--op", "noop", *options)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                errors = error_lines(p.stderr)
                self.assertEqual(len(errors), 1, p.stderr)
                self.assertIn(words, errors[0])


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--gorgon", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--slow-init", required=True, help="the slow_mpi_init shim")
    parser.add_argument("--testops", required=True,
                        help="gorgon_mpi with the test operations (test_slow_rank)")
    ARGS, rest = parser.parse_known_args()
    print(f"modes_test: {ARGS.ranks} rank(s)")
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
