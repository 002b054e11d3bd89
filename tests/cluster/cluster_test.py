#!/usr/bin/python3
"""gorgon_mpi across the nodes of a virtual cluster (scripts/vcluster.sh): 3 nodes with their
own network, hostname and clock origin (+37 s and -23 s against the first), 2 ranks x 2
threads each, ranks talking TCP over a bridge; the batch scripts of jobs/ on a Slurm across
the same nodes; and, in a cluster of its own, a node held to a tenth of a core.
Needs root; skipped (exit 77) otherwise.

    cluster_test.py --vcluster scripts/vcluster.sh --gorgon build/gorgon_mpi --jobs jobs
                    [unittest args, e.g. Cluster.test_slurm_multi_node_jobs]
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None
HANG = 180  # a hang detector, not a speed bound
OFFSETS = [0, 37, -23]
NODES = len(OFFSETS)


def vcluster(*args, **kw):
    return subprocess.run(["bash", ARGS.vcluster, *args], capture_output=True, text=True,
                          timeout=HANG, **kw)


def gorgon_cmd(*options):
    return ["bash", ARGS.vcluster, "mpirun", ARGS.gorgon, *[str(o) for o in options]]


# Read by an independent reader (Debian's h5py): string attributes are fixed-length (bytes),
# a string table is offsets + bytes (docs/hdf5-format.md).
PRELUDE = """import h5py, json, sys, numpy as np
f = h5py.File(sys.argv[1], 'r')
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
def table(g):
    o, b = g['offsets'][:], g['bytes'][:].tobytes()
    return [b[o[i]:o[i + 1]].decode() for i in range(len(o) - 1)]
"""


def read_h5(path, expression):
    p = subprocess.run(["/usr/bin/python3", "-c", PRELUDE + "print(json.dumps(" + expression + "))",
                        path],
                       capture_output=True, text=True, timeout=HANG)
    if p.returncode != 0:
        raise AssertionError(f"reading {path}: {p.stderr}")
    return json.loads(p.stdout)


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        up = vcluster("up", str(NODES), "--offsets", ",".join(map(str, OFFSETS)))
        if up.returncode != 0:
            vcluster("down")
            raise unittest.SkipTest("the virtual cluster did not come up: " + up.stderr.strip())

    @classmethod
    def tearDownClass(cls):
        vcluster("down")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="gorgon_cluster_")
        self.h5 = os.path.join(self.tmp.name, "c.h5")

    def tearDown(self):
        self.tmp.cleanup()

    def test_every_number_once_across_nodes_with_their_clocks(self):
        p = subprocess.run(gorgon_cmd("--op", "hash", "-p", "iterations=50", "--ops", 30011,
                                      "--threads", 2, "--seed", 7, "-o", self.h5, "-q"),
                           capture_output=True, text=True, timeout=HANG)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        r = "f['runs/000']"
        numbers = read_h5(self.h5, f"[int(len({r}['calls/number'])), "
                                   f"int(len(np.unique({r}['calls/number'][:]))), "
                                   f"int({r}['calls/number'][:].min()), "
                                   f"int({r}['calls/number'][:].max())]")
        self.assertEqual(numbers, [30011, 30011, 7, 30017], "every number exactly once")
        hosts = read_h5(self.h5, "[text(h) for h in f.attrs['hosts']]")
        self.assertEqual(hosts, ["gvc1", "gvc1", "gvc2", "gvc2", "gvc3", "gvc3"])
        labels = read_h5(self.h5, f"np.bincount({r}['calls/label'][:]).tolist()")
        names = read_h5(self.h5, f"table({r}['labels'])")
        counts = dict(zip(names, labels))
        fails = sum(1 for n in range(7, 30018) if n % 5 == 0)
        self.assertEqual(counts, {"FAIL": fails, "SUCCESS": 30011 - fails})
        # Each rank's clock offset against rank 0 is the injected one, within the round trip
        # of its estimate.
        offs = read_h5(self.h5, f"{r}['balance/ranks/clock_offset_ns'][:].tolist()")
        rtts = read_h5(self.h5, f"{r}['balance/ranks/clock_rtt_ns'][:].tolist()")
        for rank, (off, rtt) in enumerate(zip(offs, rtts)):
            truth = OFFSETS[rank // 2] * 10**9
            self.assertLessEqual(abs(off - truth), max(rtt, 1), f"rank {rank}: {off} vs {truth}")
        # Every call's start, aligned to rank 0's clock, lies inside the run's window.
        inside = read_h5(self.h5, f"""(lambda run: (lambda s, o, st, w: bool(np.all(
            (s - o[run['calls/rank'][:]] >= st.min() - o.max() - 10**9) &
            (s - o[run['calls/rank'][:]] <= st.max() - o.min() + w.max()))))(
            run['calls/start_ns'][:].astype(np.int64),
            run['balance/ranks/clock_offset_ns'][:].astype(np.int64),
            (run['balance/ranks/start_ns'][:].astype(np.int64)
             - run['balance/ranks/clock_offset_ns'][:].astype(np.int64)),
            run['balance/ranks/wall_ns'][:].astype(np.int64)))({r})""")
        self.assertTrue(inside)

    def test_schedules_share_the_calls_across_nodes(self):
        """Each schedule across the nodes (one-sided atomics over TCP for the shared ones):
        every number exactly once, the schedule asked for is the one recorded."""
        for schedule in ("static", "dynamic", "guided"):
            with self.subTest(schedule=schedule):
                p = subprocess.run(gorgon_cmd("--op", "hash", "-p", "iterations=50", "--ops", 20011,
                                              "--threads", 2, "--seed", 3, "--schedule", schedule,
                                              "-o", self.h5, "--force", "-q"),
                                   capture_output=True, text=True, timeout=HANG)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                r = "f['runs/000']"
                got = read_h5(self.h5, f"[text({r}.attrs['schedule']), "
                                       f"int(len({r}['calls/number'])), "
                                       f"bool(np.array_equal(np.sort({r}['calls/number'][:]), "
                                       f"np.arange(3, 20014)))]")
                self.assertEqual(got, [schedule, 20011, True])

    def test_balance_names_each_node(self):
        """The per-node view of a run across the nodes: gorgon_mpi's balance line names the
        3 nodes, and gorgon_report's JSON of the file lists them with their ranks, calls
        adding up to the run's."""
        if not ARGS.report:
            self.skipTest("no --report: gorgon_report's path is needed")
        p = subprocess.run(gorgon_cmd("--op", "hash", "-p", "iterations=50", "--ops", 6000,
                                      "--threads", 2, "-o", self.h5),
                           capture_output=True, text=True, timeout=HANG)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        balance = [line for line in p.stdout.splitlines() if line.startswith("Balance:")]
        self.assertEqual(len(balance), 1, p.stdout)
        self.assertIn("; nodes 3: calls per node ", balance[0])
        self.assertRegex(balance[0], r"; slowest node gvc[123] \(")
        r = subprocess.run([ARGS.report, self.h5, "--json"], capture_output=True, text=True,
                           timeout=HANG)
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        run = json.loads(r.stdout)["runs"][0]
        nodes = run["balance"]["nodes"]
        self.assertEqual([(n["host"], n["ranks"]) for n in nodes],
                         [("gvc1", [0, 1]), ("gvc2", [2, 3]), ("gvc3", [4, 5])])
        self.assertEqual(sum(n["calls"] for n in nodes), 6000)
        self.assertEqual(run["result"]["count"], 6000)
        self.assertIn(run["balance"]["slowest_node"], ["gvc1", "gvc2", "gvc3"])
        # The live line (hosts gathered by the reducer) is the file's (its hosts attribute).
        t = subprocess.run([ARGS.report, self.h5], capture_output=True, text=True, timeout=HANG)
        self.assertIn(balance[0], t.stdout.splitlines())

    def test_sigusr1_to_mpirun_stops_every_node(self):
        proc = self.start_long_run()
        os.kill(proc.pid, signal.SIGUSR1)  # the bash wrapper execs mpirun: this is mpirun
        out, err = proc.communicate(timeout=HANG)
        self.assertEqual(proc.returncode, 4, out + err)
        status = read_h5(self.h5, "[text(f['runs/000'].attrs['status']), text(f['runs/000'].attrs['stop_reason']),"
                                  " int(len(f['runs/000/calls/number']))]")
        self.assertEqual(status[:2], ["interrupted", "SIGUSR1"])
        self.assertGreater(status[2], 0)

    def test_clock_offsets_hold_on_a_busy_machine(self):
        """With both cores kept busy by 4 spinning processes, each estimate is still within
        half its round trip of the injected offset, and the round trips stay small because
        the sampling goes on until a fast one came by (best-of-8 gave 20 ms here)."""
        spinners = [subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"])
                    for _ in range(4)]
        try:
            p = subprocess.run(gorgon_cmd("--op", "noop", "--ops", 1000, "-o", self.h5, "-q"),
                               capture_output=True, text=True, timeout=HANG)
        finally:
            for sp in spinners:
                sp.kill()
                sp.wait()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        offs = read_h5(self.h5, "f['runs/000/balance/ranks/clock_offset_ns'][:].tolist()")
        rtts = read_h5(self.h5, "f['runs/000/balance/ranks/clock_rtt_ns'][:].tolist()")
        errors = []
        for rank, (off, rtt) in enumerate(zip(offs, rtts)):
            if rank == 0:
                continue
            error = abs(off - OFFSETS[rank // 2] * 10**9)
            errors.append((error, rtt))
            self.assertLessEqual(error, rtt // 2 + 1, f"rank {rank}: error {error} ns, rtt {rtt} ns")
        print("busy machine: (offset error, round trip) per rank, ns:", errors)

    def start_long_run(self):
        """A long run across the nodes, returned once rank 0 reports progress."""
        proc = subprocess.Popen(gorgon_cmd("--op", "sleep", "-p", "time=5ms", "--ops", 10**7,
                                           "--threads", 2, "-o", self.h5,
                                           "--progress-every", "200ms"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:
            if line.startswith("progress:"):
                break
        return proc

    def ranks_of_node(self, node):
        pids = subprocess.run(["ip", "netns", "pids", f"gvc{node}"], capture_output=True,
                              text=True).stdout.split()
        ranks = []
        for p in pids:
            try:
                if os.path.basename(os.readlink(f"/proc/{p}/exe")) == os.path.basename(ARGS.gorgon):
                    ranks.append(int(p))
            except OSError:
                pass
        self.assertEqual(len(ranks), 2, pids)
        return ranks

    def test_sigterm_to_one_nodes_ranks_stops_every_node(self):
        proc = self.start_long_run()
        for p in self.ranks_of_node(2):
            os.kill(p, signal.SIGTERM)
        out, err = proc.communicate(timeout=HANG)
        self.assertEqual(proc.returncode, 4, out + err)
        status = read_h5(self.h5, "[text(f['runs/000'].attrs['status']), text(f['runs/000'].attrs['stop_reason']),"
                                  " int(len(f['runs/000/calls/number'])),"
                                  " sorted(set(f['runs/000/calls/rank'][:].tolist()))]")
        self.assertEqual(status[:2], ["interrupted", "SIGTERM"])
        self.assertGreater(status[2], 0)
        self.assertEqual(status[3], list(range(2 * NODES)), "every rank's calls are in the file")

    def test_a_lost_node_ends_the_job_with_nothing_under_the_final_name(self):
        proc = self.start_long_run()
        # Every gorgon_mpi of the last node, killed as a node crash would.
        for p in self.ranks_of_node(NODES):
            os.kill(p, signal.SIGKILL)
        began = time.monotonic()
        out, err = proc.communicate(timeout=HANG)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"10.77.0.{10 + NODES}", err, "the message names the lost node")
        self.assertFalse(os.path.exists(self.h5), "nothing under the final name")
        self.assertLess(time.monotonic() - began, HANG)

    # ---- the batch scripts of jobs/ on a Slurm across the nodes (vcluster.sh slurm)
    JOB_STATES_DONE = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
                       "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}

    def test_slurm_multi_node_jobs(self):
        """jobs/multi_node_mpirun.sbatch and jobs/multi_node_srun.sbatch with --nodes=3: each
        job COMPLETED, its file holds exactly the calls asked for, its ranks ran on gvc1, gvc2
        and gvc3 (the hosts attribute) and in their clocks (the offsets recovered)."""
        start = vcluster("slurm", "start")
        self.addCleanup(vcluster, "slurm", "stop")
        self.assertEqual(start.returncode, 0, start.stdout + start.stderr)
        conf = re.search(r"^export SLURM_CONF=(\S+)$", start.stdout, re.M)
        self.assertTrue(conf, start.stdout)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLURM_", "SBATCH_", "OMPI_"))}  # as a user's shell
        env.update(SLURM_CONF=conf.group(1), GORGON_BIN=ARGS.gorgon, OPS="300",
                   PARAMS="iterations=10",
                   # Both launchers' ranks (and mpirun's daemons) talk TCP over the bridge.
                   OMPI_MCA_btl="tcp,self", OMPI_MCA_btl_tcp_if_include="10.77.0.0/24",
                   OMPI_MCA_oob_tcp_if_include="10.77.0.0/24", OMPI_MCA_osc="sm,pt2pt",
                   # PMIx's shared-memory store (gds ds21) crashed srun's second task on gvc1
                   # now and then (SIGSEGV at address 0 during start-up); the hash store
                   # avoids it (docs/cluster.md).
                   PMIX_MCA_gds="hash")
        nodes = subprocess.run(["scontrol", "-o", "show", "nodes"], env=env, capture_output=True,
                               text=True, timeout=HANG)
        self.assertEqual(re.findall(r"NodeName=(\S+) .*?NodeAddr=(\S+)", nodes.stdout),
                         [(f"gvc{i}", f"10.77.0.{10 + i}") for i in range(1, NODES + 1)],
                         nodes.stdout + nodes.stderr)
        jobs = {}
        for script in ("multi_node_mpirun.sbatch", "multi_node_srun.sbatch"):
            sub = subprocess.run(["sbatch", "--parsable", f"--nodes={NODES}",
                                  "--ntasks-per-node=2", "--cpus-per-task=2",
                                  os.path.join(ARGS.jobs, script)],
                                 env=env, cwd=self.tmp.name, capture_output=True, text=True,
                                 timeout=HANG)
            self.assertEqual(sub.returncode, 0, sub.stdout + sub.stderr)
            jobs[script] = sub.stdout.strip().split(";")[0]
        ended = self.wait_for_jobs(jobs.values(), env)
        for script, job in jobs.items():
            fields = ended[job]
            out = fields.get("StdOut", "")
            text = read_text(out) if os.path.isfile(out) else "(no output)"
            self.assertEqual((fields["JobState"], fields.get("ExitCode")), ("COMPLETED", "0:0"),
                             f"{script} (job {job}):\n{text}")
            h5 = os.path.splitext(out)[0] + ".h5"
            r = "f['runs/000']"
            got = read_h5(h5, f"[text(f.attrs['slurm_job_id']), [text(h) for h in f.attrs['hosts']],"
                              f" int(len({r}['calls/number'])),"
                              f" sorted(int(x) for x in {r}['calls/number'][:]),"
                              f" int({r}.attrs['seed']), int({r}.attrs['threads']),"
                              f" {r}['balance/ranks/clock_offset_ns'][:].tolist(),"
                              f" {r}['balance/ranks/clock_rtt_ns'][:].tolist()]")
            job_id, hosts, calls, numbers, seed, threads, offs, rtts = got
            self.assertEqual(job_id, job, script)
            self.assertEqual(hosts, ["gvc1", "gvc1", "gvc2", "gvc2", "gvc3", "gvc3"], script)
            self.assertEqual(calls, 300, script)
            self.assertEqual(numbers, list(range(seed, seed + 300)), f"{script}: every number once")
            self.assertEqual(threads, 2, script)
            for rank, (off, rtt) in enumerate(zip(offs, rtts)):
                truth = OFFSETS[rank // 2] * 10**9
                self.assertLessEqual(abs(off - truth), max(rtt, 1),
                                     f"{script}: rank {rank} on gvc{rank // 2 + 1}: {off} vs {truth}")

    def wait_for_jobs(self, jobs, env):
        """Each job's `scontrol show job` fields once it has ended (a hang detector bounds
        the wait; on a hang the jobs are cancelled and their outputs shown)."""
        ended, began = {}, time.monotonic()
        while len(ended) < len(jobs) and time.monotonic() - began < HANG:
            time.sleep(1)
            for job in jobs:
                show = subprocess.run(["scontrol", "-o", "show", "job", job], env=env,
                                      capture_output=True, text=True, timeout=HANG)
                fields = dict(re.findall(r"(\w+)=(\S*)", show.stdout))
                if fields.get("JobState") in self.JOB_STATES_DONE:
                    ended[job] = fields
        if len(ended) < len(jobs):
            outputs = ""
            for out in sorted(os.listdir(self.tmp.name)):
                if out.endswith(".out"):
                    outputs += f"\n---- {out}\n" + read_text(os.path.join(self.tmp.name, out))
            subprocess.run(["scancel", *jobs], env=env, timeout=HANG)
            self.fail(f"jobs {sorted(set(jobs) - set(ended))} had not ended after {HANG} s"
                      + outputs)
        return ended


class CpuLimitedNode(unittest.TestCase):
    """3 nodes, the last held to a tenth of one core (vcluster.sh up --cpu): in a run of a
    fixed duration its ranks make clearly fewer calls than the others'."""
    LIMITED = 3
    PERCENT = 10

    @classmethod
    def setUpClass(cls):
        cpu = ",".join(str(cls.PERCENT) if i == cls.LIMITED else "" for i in range(1, NODES + 1))
        up = vcluster("up", str(NODES), "--cpu", cpu)
        if up.returncode != 0:
            vcluster("down")
            raise unittest.SkipTest("the virtual cluster did not come up: " + up.stderr.strip())

    @classmethod
    def tearDownClass(cls):
        vcluster("down")

    def test_a_cpu_limited_node_makes_fewer_calls(self):
        with tempfile.TemporaryDirectory(prefix="gorgon_cluster_") as tmp:
            h5 = os.path.join(tmp, "c.h5")
            p = subprocess.run(gorgon_cmd("--op", "hash", "-p", "iterations=2000",
                                          "--duration", "2s", "-o", h5, "-q"),
                               capture_output=True, text=True, timeout=HANG)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            hosts = read_h5(h5, "[text(h) for h in f.attrs['hosts']]")
            calls = read_h5(h5, f"np.bincount(f['runs/000/calls/rank'][:], minlength={len(hosts)}).tolist()")
        per_node = {}
        for host, n in zip(hosts, calls):
            per_node.setdefault(host, []).append(n)
        limited = per_node.pop(f"gvc{self.LIMITED}")
        others = sorted(n for ns in per_node.values() for n in ns)
        median = (others[(len(others) - 1) // 2] + others[len(others) // 2]) / 2
        print(f"calls per rank: gvc{self.LIMITED} at {self.PERCENT}% of a core {limited}, "
              f"the others {others} (median {median})")
        self.assertEqual(len(limited), 2, hosts)
        self.assertGreater(median, 0, calls)
        # Each node is a CPU cgroup weighing as its 2 ranks would outside it: unloaded, the
        # others' ranks get about half a core each, the limited node's a twentieth (a tenth
        # of the others' calls). With L other busy processes on the 2 cores the others' ranks
        # get about 2/(L+4) of a core: the bound 0.6 holds up to L of about 20. Measured at a
        # load of 8: 0.19 and 0.23; with the cap removed, 0.99 and 1.07.
        for n in limited:
            self.assertLessEqual(n, 0.6 * median,
                                 f"gvc{self.LIMITED}'s ranks: {limited} calls, the others' median {median}")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--vcluster", required=True)
    parser.add_argument("--gorgon", required=True)
    parser.add_argument("--report")
    parser.add_argument("--jobs", required=True, help="the batch scripts' directory (jobs/)")
    ARGS, rest = parser.parse_known_args()
    ARGS.vcluster, ARGS.gorgon, ARGS.jobs = map(os.path.abspath, (ARGS.vcluster, ARGS.gorgon, ARGS.jobs))
    if os.geteuid() != 0:
        print("SKIP: the virtual cluster needs root (network, UTS and time namespaces)")
        sys.exit(77)
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    if result.wasSuccessful() and result.skipped and len(result.skipped) >= result.testsRun:
        # Nothing ran (the cluster did not come up): CTest shows a skip, not a pass.
        print("SKIP: " + "; ".join(reason for _, reason in result.skipped))
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
