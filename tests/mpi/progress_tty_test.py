"""The progress display where users run it: under mpirun in a terminal (a pseudo-terminal made
by script(1)) rank 0's stderr is a pipe to mpirun, yet --progress auto draws the bar; through a
pipe (a batch log) it prints time-stamped lines; --progress lines and none are obeyed in a
terminal too.

    progress_tty_test.py --mpiexec MPIEXEC --gorgon GORGON --ranks N CASE
CASE: bar_in_terminal | lines_in_pipe | lines_chosen | none_chosen
"""
import argparse
import re
import shlex
import subprocess
import sys

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("case", choices=["bar_in_terminal", "lines_in_pipe", "lines_chosen",
                                     "none_chosen"])
    args = ap.parse_args()
    if args.case == "bar_in_terminal":
        rc, out = in_terminal(command(args))
        want_bar, want_lines = True, False
    elif args.case == "lines_in_pipe":
        rc, out = in_pipe(command(args))
        want_bar, want_lines = False, True
    elif args.case == "lines_chosen":
        rc, out = in_terminal(command(args, "--progress", "lines"))
        want_bar, want_lines = False, True
    else:
        rc, out = in_terminal(command(args, "--progress", "none"))
        want_bar, want_lines = False, False
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}")
    if not RESULT.search(out):
        problems.append("no Result line")
    if bool(BAR.search(out)) != want_bar:
        problems.append("a bar was drawn" if not want_bar else "no bar was drawn")
    if bool(LINE.search(out)) != want_lines:
        problems.append("time-stamped progress lines printed" if not want_lines
                        else "no time-stamped progress line")
    if problems:
        print(out[-3000:])
        print(f"FAIL {args.case} at {args.ranks} ranks: " + "; ".join(problems))
        return 1
    print(f"ok {args.case} at {args.ranks} ranks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
