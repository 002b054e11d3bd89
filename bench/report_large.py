#!/usr/bin/python3
"""gorgon_report on a large file: time and peak memory, as ratios against references measured
in the same run.

    report_large.py --gorgon GORGON_MPI --report GORGON_REPORT [--calls 5e7] [--dir DIR]

Writes a file of N noop calls (2 ranks), and a small one of N/50 calls, then runs
`gorgon_report FILE` (text) and `gorgon_report FILE --html OUT` on each and prints:
  - time of gorgon_report ÷ time of a plain sequential read of the same file (`cat`, page
    cache warm for both), i.e. how close to reading speed the report is;
  - peak RSS on the large file ÷ peak RSS on the small one: 1.0 means memory does not grow
    with the file (the raw columns are streamed), and the peak RSS per call of the large file.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def measured(cmd):
    """Runs cmd; returns (seconds, peak RSS in bytes) of that child alone."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: no limit on stderr
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    return seconds, usage.ru_maxrss * 1024


def best(cmd, rounds=3):
    """Best time and largest peak RSS over a few rounds."""
    results = [measured(cmd) for _ in range(rounds)]
    return min(r[0] for r in results), max(r[1] for r in results)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--calls", type=float, default=5e7)
    ap.add_argument("--dir", default=None, help="where the files go (default: a temporary directory)")
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="gorgon_report_bench_")
    os.makedirs(work, exist_ok=True)
    big_calls, small_calls = int(a.calls), int(a.calls) // 50
    files = {}
    try:
        for name, calls in (("large", big_calls), ("small", small_calls)):
            path = os.path.join(work, f"{name}.h5")
            subprocess.run([a.mpiexec, "--oversubscribe", "-np", "2", a.gorgon, "--op", "noop",
                            "--ops", str(calls), "-q", "-o", path, "--force"],
                           check=True, stdout=subprocess.DEVNULL)
            files[name] = path
        html = os.path.join(work, "out.html")
        rows = {}
        for name, path in files.items():
            read_s, _ = best(["cat", path])  # the first round also warms the page cache
            text_s, text_rss = best([a.report, path])
            html_s, html_rss = best([a.report, path, "--html", html])
            rows[name] = (read_s, text_s, text_rss, html_s, html_rss)
        big = rows["large"]
        size = os.path.getsize(files["large"])
        print(f"large file:            {big_calls:.3g} calls, {size / 1e9:.2f} GB")
        print(f"plain read (cat):      {big[0]:.2f} s")
        print(f"gorgon_report text:    {big[1]:.2f} s   ({big[1] / big[0]:.1f} x the plain read)")
        print(f"gorgon_report --html:  {big[3]:.2f} s   ({big[3] / big[0]:.1f} x the plain read)")
        for label, k in (("text", 2), ("--html", 4)):
            print(f"peak RSS {label:7s}      {big[k] / 2**20:.0f} MiB on the large file, "
                  f"{rows['small'][k] / 2**20:.0f} MiB on a file 50 x smaller: "
                  f"ratio {big[k] / rows['small'][k]:.2f} (bounded: ~1), "
                  f"{big[k] / big_calls:.2f} B per call")
    finally:
        if a.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
