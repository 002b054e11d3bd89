#!/usr/bin/python3
"""Submits every batch script of jobs/ to a local single-node Slurm and checks what each made.

    run_jobs.py --repo ROOT --gorgon PATH/gorgon_mpi [--report PATH/gorgon_report] [--keep DIR]

Starts a private Slurm with scripts/slurm_local.sh (a fresh temporary state directory, free
loopback ports), submits each script scaled down through its variables (a few hundred hash
calls of 10 iterations; the multi-node scripts on the one node; the array with 2 tasks), waits
for all of them, and checks per job: it COMPLETED with exit code 0; the Slurm output holds the
text report ("Total time:"); the HDF5 file sits next to the output with the same name stem,
has format "gorgon-mpi", the job's Slurm id, the runs asked for (ranks x threads), and per run
exactly the calls requested and the parameters given; the HTML report next to it is non-empty
and has charts (when no gorgon_report is found, the job must say it skipped it).

Three more jobs: two (one under mpirun, one under srun) get SIGUSR1 through their batch shell
once their run is under way, as --signal=B:USR1 does at a time limit; the script must pass it
on, and gorgon_mpi must stop with status 4 and write the interrupted run (some of its calls,
stop reason SIGUSR1), its text report and its HTML. The third runs with a missing gorgon_mpi
and must fail saying so. The common part of the scripts must be identical.
Slurm is stopped at the end, on failure too. Exit status 0: all passed.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Everything must be done well within the CTest timeout (330 s), so that the cleanup runs.
DEADLINE_S = float(os.environ.get("GORGON_SLURM_TEST_DEADLINE", "240"))
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED"}

failures = []
T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def fail(msg):
    failures.append(msg)
    log("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, **kw)


def job_states(job_id, env):
    """The `scontrol show job` fields of a job (of each task of an array), or None."""
    r = run(["scontrol", "-o", "show", "job", job_id], env)
    if r.returncode != 0:
        return None
    out = []
    for line in r.stdout.splitlines():
        f = dict(m.groups() for m in re.finditer(r"(\w+)=(\S*)", line))
        if "JobState" in f:
            out.append(f)
    return out or None


def task_index(f):
    t = f.get("ArrayTaskId", "")
    return int(t) if t.isdigit() else 0


def maybe_signal(job, env):
    """Sends SIGUSR1 to the job's batch shell, as --signal=B:USR1 does at a time limit, once
    the run is under way (its Slurm output shows progress lines)."""
    if not job.signal or job.signal_sent or not job.id:
        return
    states = job_states(job.id, env) or []
    out = states[0].get("StdOut", "") if states else ""
    if not (os.path.isfile(out) and "progress:" in open(out, errors="replace").read()):
        return
    r = run(["scancel", "--batch", "--signal=USR1", job.id], env)
    check(r.returncode == 0, f"{job.name}: scancel --batch --signal=USR1 failed: {r.stdout}")
    job.signal_sent = time.monotonic()
    log(f"{job.name} ({job.id}): run under way; SIGUSR1 sent to the batch shell")


def as_str(v):
    """An HDF5 string attribute as str (h5py may return bytes)."""
    return v.decode() if isinstance(v, bytes) else v


def common_part(text):
    m = re.search(r"^# ---- common part.*?^# ---- end of the common part ----$", text, re.S | re.M)
    return m.group(0) if m else None


class Job:
    def __init__(self, name, script, env, sbatch_args, ops, runs, expect_fail=None, tasks=1,
                 params=None, signal=False):
        self.name, self.script, self.env, self.sbatch_args = name, script, env, sbatch_args
        self.ops, self.runs, self.expect_fail, self.tasks = ops, runs, expect_fail, tasks
        self.params = params or [{}] * tasks  # per array task: parameter -> value
        self.id = None
        self.final = None
        # signal: once the run is under way, send SIGUSR1 to the batch shell as
        # --signal=B:USR1 would at the time limit (scancel --batch --signal=USR1).
        self.signal = signal
        self.signal_sent = None  # time.monotonic() when sent


def check_h5(job, h5_path, task_index, job_id):
    import h5py  # the test's independent reader (python3-h5py)
    with h5py.File(h5_path, "r") as f:
        a = f.attrs
        fmt = as_str(a.get("format"))
        check(fmt == "gorgon-mpi", f"{job.name}: {h5_path}: format is {fmt!r}, not 'gorgon-mpi'")
        jid = as_str(a.get("slurm_job_id"))
        check(jid == job_id, f"{job.name}: {h5_path}: slurm_job_id is {jid!r}, expected {job_id!r}")
        runs = sorted(f["runs"].keys()) if "runs" in f else []
        if not check(len(runs) == len(job.runs),
                     f"{job.name}: {h5_path}: {len(runs)} runs, expected {len(job.runs)}"):
            return
        for name, (ranks, threads) in zip(runs, job.runs):
            g = f["runs"][name]
            n = g["calls/number"].shape[0]
            check(int(g.attrs["ops"]) == job.ops and n == job.ops,
                  f"{job.name}: run {name}: ops attribute {int(g.attrs['ops'])}, "
                  f"{n} calls written, expected {job.ops}")
            check(int(g.attrs["ranks"]) == ranks and int(g.attrs["threads"]) == threads,
                  f"{job.name}: run {name}: {int(g.attrs['ranks'])}x{int(g.attrs['threads'])}, "
                  f"expected {ranks}x{threads}")
            status = as_str(g.attrs.get("status"))
            check(status == "complete", f"{job.name}: run {name}: status {status!r}")
            numbers = sorted(int(x) for x in g["calls/number"][()])
            seed = int(g.attrs["seed"])
            check(numbers == list(range(seed, seed + job.ops)),
                  f"{job.name}: run {name}: call numbers are not exactly [seed, seed+ops)")
            for k, v in job.params[task_index].items():
                got = as_str(g["params"].attrs.get(k))
                check(got == v, f"{job.name}: run {name}: parameter {k}={got!r}, expected {v!r}")


def check_signalled(job, f, label, text, stdout, report_bin):
    """The batch shell passed SIGUSR1 on, gorgon_mpi stopped and wrote what it had measured:
    exit status 4, the run "interrupted" with some but not all calls, its report and HTML."""
    if not check(job.signal_sent is not None,
                 f"{label}: never signalled (no progress line in its output):\n{text}"):
        return
    check("SIGUSR1: passing it on to the launcher" in text,
          f"{label}: the script did not pass SIGUSR1 on:\n{text}")
    check(f["JobState"] == "FAILED" and f.get("ExitCode") == "4:0",
          f"{label}: ended {f['JobState']} {f.get('ExitCode')}, expected gorgon_mpi's status 4 "
          f"(interrupted):\n{text}")
    check("Interrupted (SIGUSR1)" in text and "Total time:" in text,
          f"{label}: no interrupted report in {stdout}:\n{text}")
    stem = os.path.splitext(stdout)[0]
    h5_path, html_path = stem + ".h5", stem + ".html"
    import h5py
    if not check(os.path.isfile(h5_path), f"{label}: no results file {h5_path}:\n{text}"):
        return
    with h5py.File(h5_path, "r") as h:
        runs = sorted(h["runs"].keys()) if "runs" in h else []
        if not check(len(runs) == 1, f"{label}: {len(runs)} runs in {h5_path}, expected the "
                     f"interrupted one; its output:\n{text}"):
            return
        g = h["runs"][runs[0]]
        status, reason = as_str(g.attrs.get("status")), as_str(g.attrs.get("stop_reason"))
        n = g["calls/number"].shape[0]
        check(status == "interrupted" and reason == "SIGUSR1" and 0 < n < job.ops,
              f"{label}: run status {status!r}, stop reason {reason!r}, "
              f"{n} of {job.ops} calls; expected interrupted by SIGUSR1 with some calls")
    if report_bin or os.path.exists(html_path):
        check(os.path.isfile(html_path) and "<canvas" in open(html_path, errors="replace").read(),
              f"{label}: no HTML report {html_path} with charts")
    log(f"ok: {label}: {f['JobState']} {f.get('ExitCode')} after SIGUSR1, interrupted run with "
        f"{n} of {job.ops} calls in {os.path.basename(h5_path)}")


def check_job(job, workdir, report_bin):
    tasks = job.final or []
    check(len(tasks) == job.tasks, f"{job.name}: {len(tasks)} tasks seen, expected {job.tasks}")
    for f in sorted(tasks, key=task_index):
        before = len(failures)
        idx, own_id = task_index(f), f.get("JobId", "?")
        state, exit_code, stdout = f["JobState"], f.get("ExitCode", "?"), f.get("StdOut", "")
        label = f"{job.name} (job {own_id}" + (f", array task {idx})" if "ArrayTaskId" in f else ")")
        if not stdout or not os.path.isfile(stdout):
            fail(f"{label}: no Slurm output file ({stdout!r})")
            continue
        text = open(stdout, errors="replace").read()
        if job.expect_fail:
            check(state == "FAILED" and exit_code != "0:0",
                  f"{label}: expected to fail, ended {state} {exit_code}")
            check(job.expect_fail in text,
                  f"{label}: the output lacks {job.expect_fail!r}:\n{text}")
            if len(failures) == before:
                log(f"ok: {label}: {state} {exit_code}, says {job.expect_fail!r}")
            continue
        if job.signal:
            check_signalled(job, f, label, text, stdout, report_bin)
            continue
        if not check(state == "COMPLETED" and exit_code == "0:0",
                     f"{label}: ended {state}, exit code {exit_code}; its output:\n{text}"):
            continue
        check("Total time:" in text, f"{label}: no 'Total time:' in {stdout}:\n{text}")
        stem = os.path.splitext(stdout)[0]
        h5_path, html_path = stem + ".h5", stem + ".html"
        # slurm_job_id in the file is SLURM_JOB_ID: an array task's own job id.
        if check(os.path.isfile(h5_path), f"{label}: no HDF5 file {h5_path} next to {stdout}"):
            check_h5(job, h5_path, idx, own_id)
        if report_bin or os.path.exists(html_path):  # without --report: one found on PATH
            if check(os.path.isfile(html_path) and os.path.getsize(html_path) > 0,
                     f"{label}: no HTML report {html_path}"):
                html = open(html_path, errors="replace").read()
                check("<canvas" in html, f"{label}: {html_path} has no <canvas")
        else:
            check("HTML report skipped" in text,
                  f"{label}: no HTML report and the output does not say it was skipped")
        if len(failures) == before:
            log(f"ok: {label}: {state} {exit_code}, {os.path.basename(h5_path)}"
                + (f", {os.path.basename(html_path)}" if os.path.exists(html_path) else ", no HTML"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--report", default="")
    ap.add_argument("--keep", default="", help="keep the job outputs in this directory")
    args = ap.parse_args()

    repo = os.path.abspath(args.repo)
    gorgon = os.path.abspath(args.gorgon)
    if not os.access(gorgon, os.X_OK):
        print(f"gorgon_mpi not found at {gorgon}", file=sys.stderr)
        return 1
    report_bin = os.path.abspath(args.report) if args.report else ""
    if report_bin and not os.access(report_bin, os.X_OK):
        report_bin = ""
    if not report_bin:
        log("gorgon_report is not built (no --report binary): HTML checks skipped; the jobs "
            "must say they skipped it")
    for tool in ("sbatch", "scontrol", "slurmctld", "slurmd", "munged"):
        if not shutil.which(tool):
            print(f"{tool} not found: install slurm-wlm and munge (scripts/setup.sh)", file=sys.stderr)
            return 1

    # The scripts' shared part must not drift apart.
    jobs_dir = os.path.join(repo, "jobs")
    scripts = sorted(f for f in os.listdir(jobs_dir) if f.endswith(".sbatch"))
    parts = {s: common_part(open(os.path.join(jobs_dir, s)).read()) for s in scripts}
    check(all(parts.values()), f"scripts without the common part: {[s for s, p in parts.items() if not p]}")
    check(len(set(parts.values())) == 1, "the common part differs between the jobs/*.sbatch scripts")

    base = tempfile.mkdtemp(prefix="gorgon-slurm-test-")
    state_dir = os.path.join(base, "slurm")
    workdir = args.keep or os.path.join(base, "jobs")
    os.makedirs(workdir, exist_ok=True)
    env = dict(os.environ)
    env.update(GORGON_SLURM_CTLD_PORT=str(free_port()), GORGON_SLURM_SLURMD_PORT=str(free_port()))
    env.pop("SLURM_CONF", None)
    for k in [k for k in env if k.startswith("SLURM_") or k.startswith("SBATCH_")]:
        env.pop(k)  # not a job of some other Slurm
    slurm_local = os.path.join(repo, "scripts", "slurm_local.sh")

    def stop(*_):
        r = run(["bash", slurm_local, "stop", state_dir], env)
        log("slurm_local.sh stop: " + r.stdout.strip().replace("\n", "; "))

    def on_signal(sig, _frame):
        raise SystemExit(f"signal {sig}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        r = run(["bash", slurm_local, "start", state_dir], env, timeout=90)
        print(r.stdout, end="")
        if r.returncode != 0:
            fail(f"slurm_local.sh start failed ({r.returncode})")
            return 1
        env["SLURM_CONF"] = os.path.join(state_dir, "etc", "slurm.conf")

        # The jobs see what a user's shell would pass: no OpenMPI settings of the test
        # environment (the scripts must allow root themselves).
        common = {k: v for k, v in env.items() if not k.startswith("OMPI_")}
        common.update(GORGON_BIN=gorgon, PARAMS="iterations=10")
        common.pop("GORGON_REPORT", None)
        if report_bin:
            common["GORGON_REPORT"] = report_bin
        jobs = [
            Job("single_node", "single_node.sbatch", dict(common, OPS="400"), [],
                400, [(4, 1)]),
            Job("multi_node_srun", "multi_node_srun.sbatch", dict(common, OPS="300"),
                ["--nodes=1", "--ntasks-per-node=2"], 300, [(2, 1)]),
            Job("multi_node_mpirun", "multi_node_mpirun.sbatch", dict(common, OPS="300"),
                ["--nodes=1", "--ntasks-per-node=2"], 300, [(2, 1)]),
            Job("scaling", "scaling.sbatch", dict(common, OPS="200"), [],
                200, [(1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2)]),
            Job("array", "array.sbatch", dict(common, OPS="100", PARAMS="", PARAM_VALUES="10 20"),
                ["--array=0-1"], 100, [(2, 1)], tasks=2,
                params=[{"iterations": "10"}, {"iterations": "20"}]),
            # 2 ranks x 600 calls of 100 ms: 30 s unless stopped. Progress lines say when the
            # run is under way; then SIGUSR1 goes to the batch shell, as at a time limit.
            Job("signal_mpirun", "single_node.sbatch",
                dict(common, OP="sleep", PARAMS="time=100ms", OPS="600",
                     GORGON_ARGS="--progress-every 500ms"),
                ["--ntasks=2", "--job-name=gorgon-signal-mpirun"], 600, [(2, 1)], signal=True),
            Job("signal_srun", "multi_node_srun.sbatch",
                dict(common, OP="sleep", PARAMS="time=100ms", OPS="600",
                     GORGON_ARGS="--progress-every 500ms"),
                ["--nodes=1", "--ntasks-per-node=2", "--job-name=gorgon-signal-srun"], 600,
                [(2, 1)], signal=True),
            Job("missing_gorgon", "single_node.sbatch",
                dict(common, GORGON_BIN="/nonexistent/gorgon_mpi"), ["--ntasks=1"], 0, [],
                expect_fail="gorgon_mpi not found"),
        ]
        covered = {j.script for j in jobs}
        check(covered == set(scripts), f"scripts not submitted by the test: {set(scripts) - covered}")

        for job in jobs:
            r = run(["sbatch", "--parsable", *job.sbatch_args,
                     os.path.join(jobs_dir, job.script)], job.env, cwd=workdir)
            if not check(r.returncode == 0, f"{job.name}: sbatch failed: {r.stdout}"):
                continue
            job.id = r.stdout.strip().split(";")[0]
            log(f"submitted {job.name}: job {job.id}")

        pending = [j for j in jobs if j.id]
        while pending and time.monotonic() - T0 < DEADLINE_S:
            time.sleep(1)
            for job in list(pending):
                maybe_signal(job, job.env)
                states = job_states(job.id, job.env)
                if states and len(states) >= job.tasks and all(s["JobState"] in TERMINAL for s in states):
                    job.final = states
                    pending.remove(job)
                    log(f"{job.name} ({job.id}) ended: " + ", ".join(
                        f"{s.get('JobId')} {s['JobState']} {s.get('ExitCode')}" for s in states))
        for job in pending:
            states = job_states(job.id, job.env) or []
            outputs = ""
            for st in states:
                out = st.get("StdOut", "")
                if os.path.isfile(out):
                    outputs += f"\n---- {out}\n" + open(out, errors="replace").read()
            fail(f"{job.name} ({job.id}) not finished after {DEADLINE_S:.0f}s: "
                 + ", ".join(f"{s.get('JobId')} {s['JobState']}" for s in states) + outputs)
        for job in jobs:
            if job.final:
                check_job(job, workdir, report_bin)
        if failures:
            sq = run(["squeue"], env).stdout
            log("squeue:\n" + sq)
    except SystemExit as e:
        fail(f"interrupted ({e})")
    finally:
        if failures:
            for name in ("slurmctld.log", "slurmd.log"):
                p = os.path.join(state_dir, "log", name)
                if os.path.isfile(p):
                    print(f"---- {p} (last 30 lines)")
                    print("".join(open(p, errors="replace").readlines()[-30:]), end="")
        stop()
        if not failures and not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            log(f"outputs kept in {workdir}")
    log(f"{len(failures)} failure(s)" if failures else "all Slurm jobs passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
