#!/usr/bin/python3
"""What the shared schedules cost and what they buy, as ratios measured in one run.

    schedules.py share      --gorgon build/gorgon_mpi [--ranks 4] [--calls 4e7] [--rounds 5]
    schedules.py stragglers --gorgon build/gorgon_mpi --vcluster scripts/vcluster.sh [--rounds 5]

share: noop at 4 ranks (oversubscribed on small machines), --schedule dynamic against static,
in alternating rounds; prints each round's calls/s and the ratio of the medians (target: at
least 0.95, the price of claiming blocks while the run goes).

stragglers (root: a virtual cluster of 3 nodes x 2 ranks, the last node held to a quarter of
the others' CPU share): in each round, each node's hash rate is measured alone (its own 2
ranks, on its node, for as long as the ideal run), and the ideal wall time of W calls is W
over the summed rates; then W calls across the 3 nodes with dynamic, guided and static.
Prints each schedule's median over the rounds of wall time / that round's ideal (target for
dynamic: at most 1.10). On one machine the nodes also share what no cgroup holds (the
bridge's traffic, the launcher), so a second ideal comes from the nodes' rates while all of
them run at once (a --duration run across them).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def summary_of(cmd):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.json")
        p = subprocess.run(cmd + ["--json", path, "-q"], capture_output=True, text=True,
                           env=ROOT_ENV, timeout=900)
        if p.returncode != 0:
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
        with open(path) as f:
            return json.load(f)["runs"][0]


def share(args):
    rates = {"static": [], "dynamic": []}
    for r in range(args.rounds):
        for schedule in ("static", "dynamic"):
            s = summary_of(["mpiexec", "--oversubscribe", "-np", str(args.ranks), args.gorgon,
                            "--op", "noop", "--ops", args.calls, "--schedule", schedule])
            rate = s["result"]["count"] / (s["wall_ns"] / 1e9)
            rates[schedule].append(rate)
            print(f"round {r + 1} {schedule:8s} {rate / 1e6:8.2f} M calls/s", flush=True)
    ratio = statistics.median(rates["dynamic"]) / statistics.median(rates["static"])
    print(f"noop at {args.ranks} ranks: dynamic / static calls/s = {ratio:.3f} (median of "
          f"{args.rounds} rounds; target >= 0.95)")


HASH = ["--op", "hash", "-p", "iterations=2000"]


def rate_alone(args, node):
    """A node's calls/s with its own 2 ranks, in its own cgroup and namespaces, over as long
    as the ideal run lasts: on this machine a run's first seconds go 4-6% faster than the
    rest (4 s alone against 10 s alone, back to back), so a shorter sample flatters the ideal."""
    s = summary_of(["bash", args.vcluster, "exec", f"gvc{node}", "mpiexec", "--oversubscribe",
                    "-np", "2", args.gorgon, *HASH, "--duration", f"{args.seconds}s"])
    return s["result"]["count"] / (s["wall_ns"] / 1e9)


def rates_together(args):
    """Each node's calls/s while all 3 run at once (one --duration run across them)."""
    s = summary_of(["bash", args.vcluster, "mpirun", "-np", "6", args.gorgon, *HASH,
                    "--duration", f"{args.seconds}s"])
    return [sum(b["calls"] for b in s["balance"]["ranks"][2 * i:2 * i + 2]) /
            (s["wall_ns"] / 1e9) for i in range(3)]


def stragglers(args):
    vc = lambda *a, **kw: subprocess.run(["bash", args.vcluster, *a], capture_output=True,
                                         text=True, env=ROOT_ENV, timeout=900, **kw)
    cpu = args.cpu
    up = vc("up", "3", "--cpu", cpu)
    if up.returncode != 0:
        sys.exit("the virtual cluster did not come up: " + up.stderr)
    try:
        work = None
        ratios = {"dynamic": [], "guided": [], "static": []}
        for r in range(args.rounds):
            # The ideals are measured again in every round, next to the runs they judge: a
            # node's rate alone drifts by several per cent between minutes on a shared machine.
            alone = [rate_alone(args, node) for node in (1, 2, 3)]
            if work is None:
                work = int(sum(alone) * args.seconds)
            ideal = work / sum(alone)
            print(f"round {r + 1} alone: " +
                  ", ".join(f"gvc{i + 1} {x:.0f} calls/s" for i, x in enumerate(alone)) +
                  f"; {work} calls, ideal {ideal:.2f} s", flush=True)
            # On one machine the nodes also share what no cgroup holds (the bridge's traffic,
            # the launcher): their rates when all run at once give the ideal it can reach.
            together = rates_together(args)
            ideal_together = work / sum(together)
            print(f"round {r + 1} together: " +
                  ", ".join(f"gvc{i + 1} {x:.0f} calls/s" for i, x in enumerate(together)) +
                  f"; ideal {ideal_together:.2f} s", flush=True)
            for schedule in ratios:
                s = summary_of(["bash", args.vcluster, "mpirun", "-np", "6", args.gorgon, *HASH,
                                "--ops", str(work), "--schedule", schedule])
                wall = s["wall_ns"] / 1e9
                ratios[schedule].append((wall / ideal, wall / ideal_together))
                calls = [b["calls"] for b in s["balance"]["ranks"]]
                print(f"round {r + 1} {schedule:8s} {wall:7.2f} s = {wall / ideal:.3f} / "
                      f"{wall / ideal_together:.3f} of the ideals, calls per rank {calls}",
                      flush=True)
        for schedule, rs in ratios.items():
            print(f"{schedule:8s} wall / ideal = {statistics.median(a for a, _ in rs):.3f} "
                  f"(nodes alone), {statistics.median(b for _, b in rs):.3f} (nodes together; "
                  f"median of {args.rounds} rounds)"
                  f"{'; target <= 1.10' if schedule == 'dynamic' else ''}")
    finally:
        vc("down")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["share", "stragglers"])
    parser.add_argument("--gorgon", required=True)
    parser.add_argument("--vcluster")
    parser.add_argument("--ranks", type=int, default=4)
    parser.add_argument("--calls", default="4e7")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8, help="stragglers: the ideal run")
    parser.add_argument("--cpu", default="60,60,15",
                        help="stragglers: each node's CPU share in %% of a core (the last a "
                             "quarter of the others'; their sum below the machine's cores, so "
                             "the nodes do not compete for them)")
    args = parser.parse_args()
    if args.what == "stragglers" and not args.vcluster:
        parser.error("stragglers needs --vcluster")
    share(args) if args.what == "share" else stragglers(args)


if __name__ == "__main__":
    main()
