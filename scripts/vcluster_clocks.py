#!/usr/bin/python3
"""The clock offsets gorgon_mpi estimates on a virtual cluster, against the injected ones: a
Markdown table for docs/cluster.md (as root).

    scripts/vcluster_clocks.py --gorgon build/gorgon_mpi [--offsets 0,37,-23] [--busy 4]

Brings up scripts/vcluster.sh with the given offsets (seconds, node 1 first; 2 ranks per
node), optionally keeps the cores busy with --busy spinning processes (as the test
cluster.n3.clock_offsets_hold_on_a_busy_machine does), runs 1000 noop calls with -o, reads
each rank's estimate and round trip from /runs/000/balance/ranks (docs/hdf5-format.md) and
prints one row per rank. The cluster is taken down at the end.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
VCLUSTER = os.path.join(HERE, "vcluster.sh")


def vcluster(*args, **kw):
    return subprocess.run(["bash", VCLUSTER, *args], check=True, **kw)


def measure(gorgon, offsets, busy):
    """(host, injected s, estimated ns, round trip ns) per rank."""
    vcluster("up", str(len(offsets)), "--offsets", ",".join(map(str, offsets)),
             stdout=subprocess.DEVNULL)
    spinners = [subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"])
                for _ in range(busy)]
    try:
        with tempfile.TemporaryDirectory(prefix="gorgon_clocks_") as tmp:
            h5 = os.path.join(tmp, "c.h5")
            env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
            vcluster("mpirun", gorgon, "--op", "noop", "--ops", "1000", "-o", h5, "-q",
                     env=env, stdout=subprocess.DEVNULL)
            with h5py.File(h5, "r") as f:
                hosts = [h.decode() if isinstance(h, bytes) else str(h) for h in f.attrs["hosts"]]
                ranks = f["runs/000/balance/ranks"]
                offs = ranks["clock_offset_ns"][:].tolist()
                rtts = ranks["clock_rtt_ns"][:].tolist()
    finally:
        for sp in spinners:
            sp.kill()
            sp.wait()
        vcluster("down")
    return [(h, offsets[int(h[3:]) - 1], o, r) for h, o, r in zip(hosts, offs, rtts)]


def us(ns):
    return f"{ns / 1000:.1f}"


def table(rows):
    lines = ["| rank | node | injected (s) | estimated (s) | error (us) | round trip (us) |",
             "|---:|---|---:|---:|---:|---:|"]
    for rank, (host, truth, est, rtt) in enumerate(rows):
        if rank == 0:
            lines.append(f"| 0 | {host} | {truth:+d} | (reference) | | |")
            continue
        # Offsets are against rank 0, whose node is shifted by rows[0]'s offset.
        truth_ns = (truth - rows[0][1]) * 10**9
        lines.append(f"| {rank} | {host} | {truth:+d} | {est / 1e9:+.9f} | {us(est - truth_ns)} | "
                     f"{us(rtt)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--offsets", default="0,37,-23")
    ap.add_argument("--busy", type=int, default=0, help="spinning processes during the run")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("vcluster_clocks: needs root (scripts/vcluster.sh)", file=sys.stderr)
        return 2
    offsets = [int(s) for s in args.offsets.split(",")]
    load = open("/proc/loadavg").read().split()[0]
    rows = measure(os.path.abspath(args.gorgon), offsets, args.busy)
    print(f"{len(offsets)} nodes x 2 ranks, {args.busy} spinning processes, load average {load} "
          f"before the run:\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
