#!/usr/bin/python3
"""A rank's resident memory over a long run, against its --memory budget: the record stream
folds (and, with -o, spills) full blocks of rows while the run goes, so the memory must stay
within the budget plus the program's own footprint, whatever the run's length.

    bench/memory.py calls [--calls 2e8] [--ranks 2] [--memory 256M] [--dir DIR]
        peak RSS of a noop run with -o, sampled every second from /proc, over the budget plus
        64 MiB (target <= 1), beside the peak of a 1e5-call run (the program alone) and the
        rows' own size
    bench/memory.py rate [--calls 4e7] [--ranks 2] [--rounds 5] [--dir DIR]
        noop calls/s of a run with -o (its rows spilled while it runs) over the same run
        without -o, alternating rounds, median ratio (target >= 0.95)
    bench/memory.py flat [--seconds 600] [--ranks 2] [--memory 256M]
        RSS sampled every second through a --duration noop run at full speed (no -o: the
        disk could not hold the rows): the largest sample of the last tenth over that of the
        second tenth (target <= 1.0 + 1%, no growth)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

MIB = 1 << 20


def parse_bytes(text):
    units = {"K": 10, "M": 20, "G": 30, "T": 40}
    text = text.rstrip("B").rstrip("i")
    return int(text[:-1]) << units[text[-1]] if text[-1] in units else int(text)


def run_sampled(cmd, every=1.0):
    """Runs `cmd`, sampling the VmRSS of its gorgon_mpi children every `every` s: returns the
    exit status and the list of (time, largest rank RSS) samples."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples, t0 = [], time.monotonic()
    while p.poll() is None:
        peak = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/status") as f:
                    st = dict(line.split(":", 1) for line in f if ":" in line)
                if st["Name"].strip() == "gorgon_mpi" and int(st["PPid"]) == p.pid:
                    peak = max(peak, int(st["VmRSS"].split()[0]) * 1024)
            except (OSError, KeyError, ValueError):
                continue
        if peak:
            samples.append((time.monotonic() - t0, peak))
        time.sleep(every)
    err = p.stderr.read()
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {err}")
    return samples


def base_cmd(args):
    return [args.mpiexec, "--oversubscribe", "-np", str(args.ranks), args.gorgon, "--op", "noop",
            "--memory", args.memory, "--progress", "none"]


def calls_mode(args):
    budget = parse_bytes(args.memory)
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        small = run_sampled(base_cmd(args) + ["-n", "1e5", "-o", os.path.join(d, "s.h5")], 0.05)
        big_file = os.path.join(d, "b.h5")
        t0 = time.monotonic()
        big = run_sampled(base_cmd(args) + ["-n", args.calls, "-o", big_file])
        took = time.monotonic() - t0
        size = os.path.getsize(big_file)
    alone = max(s for _, s in small)
    peak = max(s for _, s in big)
    rows = int(float(args.calls)) // args.ranks * 28
    print(f"{args.calls} noop calls, {args.ranks} ranks, -o ({size / 1e9:.2f} GB file), "
          f"--memory {args.memory}; {took:.0f} s")
    print(f"peak RSS of a rank: {peak / MIB:8.1f} MiB ({len(big)} samples, one a second)")
    print(f"the program alone:  {alone / MIB:8.1f} MiB (a 1e5-call run)")
    print(f"a rank's rows:      {rows / MIB:8.1f} MiB (what the rows would take in memory)")
    print(f"peak over budget + 64 MiB: {peak / (budget + 64 * MIB):.3f} (target <= 1)")


def calls_per_s(args, extra, d):
    out = os.path.join(d, "s.json")
    run_sampled(base_cmd(args) + ["-n", args.calls, "--json", out, "--force"] + extra, 0.5)
    with open(out) as f:
        return json.load(f)["runs"][0]["result"]["calls_per_s"]


def rate_mode(args):
    ratios = []
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        for _ in range(args.rounds):
            plain = calls_per_s(args, [], d)
            spilled = calls_per_s(args, ["-o", os.path.join(d, "r.h5"), "--force"], d)
            ratios.append(spilled / plain)
            print(f"without -o {plain / 1e6:7.2f} M calls/s, with -o {spilled / 1e6:7.2f} M "
                  f"calls/s: {spilled / plain:.3f}")
    ratios.sort()
    print(f"{args.calls} noop calls, {args.ranks} ranks: with -o over without, median of "
          f"{args.rounds}: {ratios[len(ratios) // 2]:.3f} (target >= 0.95)")


def flat_mode(args):
    samples = run_sampled(base_cmd(args) + ["--duration", f"{args.seconds}s"])
    n = len(samples)
    if n < 20:
        sys.exit(f"only {n} samples: run longer")
    second = max(s for _, s in samples[n // 10:2 * n // 10])
    last = max(s for _, s in samples[9 * n // 10:])
    print(f"--duration {args.seconds}s noop, {args.ranks} ranks, --memory {args.memory}: "
          f"{n} samples")
    print(f"RSS: second tenth at most {second / MIB:.1f} MiB, last tenth at most "
          f"{last / MIB:.1f} MiB, overall {max(s for _, s in samples) / MIB:.1f} MiB")
    print(f"last tenth over second tenth: {last / second:.3f} (target <= 1.01)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("calls", "rate", "flat"))
    ap.add_argument("--gorgon", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "gorgon_mpi"))
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--calls", default=None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--dir", default=".")
    args = ap.parse_args()
    if args.calls is None:
        args.calls = "4e7" if args.mode == "rate" else "2e8"
    {"calls": calls_mode, "rate": rate_mode, "flat": flat_mode}[args.mode](args)


if __name__ == "__main__":
    main()
