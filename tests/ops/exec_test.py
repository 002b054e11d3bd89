#!/usr/bin/env python3
"""The exec operation under mpiexec: exit statuses, signals, spawn errors, {n}, captures.

Checks, each against expectations computed here:
  * `true` -> "0", `false` -> "1", `kill -9 $$` and `kill -SEGV $$` through the shell ->
    "SIGKILL" / "SIGSEGV", a missing program -> "spawn: ENOENT", every call counted;
  * `test {n} -lt 5` over numbers from two seeds: the counts of "0" and "1" from the numbers;
  * quoting: an argument with blanks reaches the program as one word;
  * capture_failures (--schedule static): each failed call's stdout and stderr, and only
    theirs, in its rank's gorgon-exec-failures.<rank>.log under its number; nothing captured
    when not asked;
  * bad parameters exit 2.

One unittest case per group (CTest runs each alone, as ops.exec.<case>).

    exec_test.py --mpiexec mpiexec --ranks 2 --gorgon build/gorgon_mpi [Exec.test_statuses ...]
"""
import os
import re

import harness
from harness import GorgonCase, labels, rank_of

RECORD = re.compile(r"^=== call (\d+): (\S+) \(rank (\d+), thread (\d+)\)$")


def exec_args(command, ops, *params, seed=0, threads=2):
    args = ["--op", "exec", "--param", "command=" + command, "--ops", str(ops),
            "--seed", str(seed), "--threads", str(threads)]
    for p in params:
        args += ["--param", p]
    return args


class Exec(GorgonCase):
    def test_statuses(self):
        for tag, command, params, want in [
                ("true", "true", [], "0"),
                ("false", "false", [], "1"),
                ("kill -9 $$", "kill -9 $$", ["shell=true"], "SIGKILL"),
                ("kill -SEGV $$", "kill -SEGV $$", ["shell=true"], "SIGSEGV"),
                ("exit 3 in sh", "exit 3", ["shell=true"], "3"),
                ("missing program", "/nonexistent/gorgon-no-such-program", [], "spawn: ENOENT"),
                ("missing program in PATH", "gorgon-no-such-program-xyz", [], "spawn: ENOENT"),
                ("quoted argument", "test 'a b' = \"a b\"", [], "0")]:
            with self.subTest(tag):
                ops = 12
                run = self.one_run(tag, exec_args(command, ops, *params))
                self.assertEqual(labels(run), {want: ops}, f"{tag}: every call labelled {want!r}")

    def test_numbers(self):
        for seed, ops in [(0, 10), (3, 17)]:
            tag = f"test {{n}} -lt 5, seed {seed}"
            with self.subTest(tag):
                run = self.one_run(tag, exec_args("test {n} -lt 5", ops, seed=seed))
                below = sum(1 for n in range(seed, seed + ops) if n < 5)
                want = {k: v for k, v in {"0": below, "1": ops - below}.items() if v}
                self.assertEqual(labels(run), want, f"{tag}: counts from the numbers")

    def test_captures(self):
        tag, seed, ops = "capture_failures", 5, 30
        capdir = os.path.join(self.tmp, "captured")
        os.makedirs(capdir)
        command = 'echo "out {n}"; echo "err {n}" >&2; test $(({n} % 3)) -ne 0'
        # --schedule static: each rank calls its slice, so the rank of each number is known.
        run = self.one_run(tag, exec_args(command, ops, "shell=true", "capture_dir=" + capdir,
                                          seed=seed)
                           + ["--capture-failures",  # shorthand of --param capture_failures=true
                              "--schedule", "static"])
        failed = [n for n in range(seed, seed + ops) if n % 3 == 0]
        self.assertEqual(labels(run), {"0": ops - len(failed), "1": len(failed)}, f"{tag}: counts")
        files = sorted(os.listdir(capdir))
        want_files = sorted({f"gorgon-exec-failures.{rank_of(n, seed, ops, self.ranks)}.log"
                             for n in failed})
        self.assertEqual(files, want_files, f"{tag}: one file per rank with failures")
        records, bad = {}, []
        for name in files:
            rank = int(name.split(".")[1])
            with open(os.path.join(capdir, name)) as f:
                lines = f.read().splitlines()
            for i in range(0, len(lines), 3):
                m = RECORD.match(lines[i])
                if not m or lines[i + 1:i + 3] != [f"out {m.group(1)}", f"err {m.group(1)}"]:
                    bad.append(lines[i:i + 3])
                    continue
                n = int(m.group(1))
                records[n] = (m.group(2), int(m.group(3)))
                if int(m.group(3)) != rank or rank_of(n, seed, ops, self.ranks) != rank:
                    bad.append(lines[i:i + 3])
        self.assertEqual(bad, [], f"{tag}: records read "
                                  "'=== call N: 1 (rank R, thread T)', 'out N', 'err N'")
        self.assertEqual(sorted(records), failed,
                         f"{tag}: the failed calls, and only they, captured")
        self.assertTrue(all(l == "1" for l, _ in records.values()),
                        f"{tag}: labels in the records: {records}")

        self.one_run("no capture", exec_args(command, ops, "shell=true", seed=seed))
        left = [f for f in os.listdir(self.work) if f.startswith("gorgon-exec-failures")]
        self.assertEqual(left, [], "no capture: no capture file written")

    def test_bad_input(self):
        self.bad("no command", ["--op", "exec"], "command")
        self.bad("unterminated quote", ["--op", "exec", "--param", "command=echo 'x"], "quote")
        self.bad("capture_dir missing", exec_args("false", 4, "capture_failures=true",
                                                  "capture_dir=/nonexistent/dir"),
                 "/nonexistent/dir")


if __name__ == "__main__":
    harness.run_cases(harness.parse(__doc__.splitlines()[0]))
