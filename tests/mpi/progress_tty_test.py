"""The progress display where users run it: under mpirun in a terminal (a pseudo-terminal made
by script(1)) rank 0's stderr is a pipe to mpirun, yet --progress auto draws the bar; through a
pipe (a batch log) it prints time-stamped lines; --progress lines and none are obeyed in a
terminal too.

One unittest case each (CTest runs each alone, as mpi.progress.<case>.np<ranks>):

    progress_tty_test.py --mpiexec MPIEXEC --gorgon GORGON --ranks N [Progress.test_CASE ...]
CASE: bar_in_terminal | lines_in_pipe | lines_chosen | none_chosen
"""
import argparse
import re
import shlex
import subprocess
import sys
import unittest

ARGS = None  # the command line's options, set by main()

BAR = re.compile(r"\r\[#*\.*\] ")
LINE = re.compile(r"^progress: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", re.M)
RESULT = re.compile(r"^ +Result +\d+ ", re.M)


def command(args, *extra):
    return [args.mpiexec, "--oversubscribe", "-np", str(args.ranks), args.gorgon, "--op", "noop",
            "--duration", "1500ms", "--progress-every", "200ms", *extra]


def in_terminal(cmd):
    """Runs cmd with a pseudo-terminal as its stdin, stdout and stderr; returns what it wrote."""
    p = subprocess.run(["script", "-qec", shlex.join(cmd), "/dev/null"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, p.stdout.decode(errors="replace")


def in_pipe(cmd):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


class Progress(unittest.TestCase):
    def check_output(self, rc, out, want_bar, want_lines):
        self.assertEqual(rc, 0, f"exit status; output:\n{out[-3000:]}")
        self.assertRegex(out, RESULT, "a Result line")
        self.assertEqual(bool(BAR.search(out)), want_bar,
                         ("no bar was drawn" if want_bar else "a bar was drawn")
                         + f"; output:\n{out[-3000:]}")
        self.assertEqual(bool(LINE.search(out)), want_lines,
                         ("no time-stamped progress line" if want_lines
                          else "time-stamped progress lines printed") + f"; output:\n{out[-3000:]}")

    def test_bar_in_terminal(self):
        self.check_output(*in_terminal(command(ARGS)), want_bar=True, want_lines=False)

    def test_lines_in_pipe(self):
        self.check_output(*in_pipe(command(ARGS)), want_bar=False, want_lines=True)

    def test_lines_chosen(self):
        self.check_output(*in_terminal(command(ARGS, "--progress", "lines")),
                          want_bar=False, want_lines=True)

    def test_none_chosen(self):
        self.check_output(*in_terminal(command(ARGS, "--progress", "none")),
                          want_bar=False, want_lines=False)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ARGS, rest = ap.parse_known_args()
    print(f"progress_tty_test: {ARGS.ranks} rank(s)", flush=True)
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    # A name that matches no case runs nothing: that is a mistake, not a pass.
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
