#!/usr/bin/python3
"""run_expect.py REGEX COMMAND...: runs COMMAND, prints its output, and passes only when it
exits 0 and its standard output matches REGEX (Python syntax, `.` matching newlines too)."""
import re
import subprocess
import sys

pattern, command = sys.argv[1], sys.argv[2:]
p = subprocess.run(command, capture_output=True, text=True, timeout=600)
sys.stdout.write(p.stdout)
sys.stderr.write(p.stderr)
if p.returncode != 0:
    sys.exit(f"run_expect: exit status {p.returncode}, expected 0")
if not re.search(pattern, p.stdout, re.S):
    sys.exit(f"run_expect: no match for {pattern!r} in the output")
