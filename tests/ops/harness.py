"""What the operation tests share: a unittest base class that runs gorgon_mpi under mpiexec
in a directory of its own and asserts on the JSON summary, the command line every test script
takes, the summary's counts, and the servers the http test talks to (nginx, a silent socket).

Every server is started by the test in its own temporary directory, on 127.0.0.1 and an
unprivileged port, and stopped afterwards whatever happens: the `with` blocks (or the class's
tearDownClass) stop it, and nginx gets SIGTERM from the kernel should the driver itself be
killed (PR_SET_PDEATHSIG).
"""
import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from launch import Launch  # noqa: E402

HANG_TIMEOUT_S = 90  # a launch that takes this long is a hang, not a slow machine
SKIP = 77            # CTest's SKIP_RETURN_CODE for the tests
ARGS = None          # the command line's options, set by parse()


def parse(description, add_arguments=None):
    """The options every operation test takes (--mpiexec, --gorgon, --ranks), plus the
    script's own; sets ARGS and returns the rest (unittest's: the cases to run)."""
    global ARGS
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    if add_arguments:
        add_arguments(ap)
    ARGS, rest = ap.parse_known_args()
    return rest


def run_cases(rest):
    """Runs the cases named in `rest` (all when none) from the __main__ module and exits:
    0 when all passed, SKIP when every one was skipped (by itself or by its class), 1
    otherwise, and 1 when nothing ran (a name that matches no case)."""
    print(f"{os.path.basename(sys.argv[0])}: {ARGS.ranks} rank(s)", flush=True)
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    if result.wasSuccessful() and result.skipped and len(result.skipped) >= result.testsRun:
        sys.exit(SKIP)
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


class GorgonCase(unittest.TestCase):
    """A case that runs gorgon_mpi under mpiexec; each case has a temporary directory of its
    own (self.tmp) and launches from its subdirectory self.work."""

    def setUp(self):
        self.ranks = ARGS.ranks
        self._tmp = tempfile.TemporaryDirectory(prefix="gorgon_ops_")
        self.tmp = self._tmp.name
        self.work = os.path.join(self.tmp, "work")
        os.makedirs(self.work)
        self.json_count = 0

    def tearDown(self):
        self._tmp.cleanup()

    def launch(self, args):
        argv = [ARGS.mpiexec, "--oversubscribe", "-np", str(self.ranks), ARGS.gorgon] + args
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=self.work, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=HANG_TIMEOUT_S)
            return Launch(proc.returncode, out, err, False)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return Launch(None, out, err, True)

    def one_run(self, tag, args):
        """Runs with --json, asserts exit 0 and one run; returns that run's summary."""
        self.json_count += 1
        path = os.path.join(self.tmp, f"summary-{self.json_count}.json")
        launch = self.launch(args + ["--json", path])
        self.assertTrue(not launch.hung and launch.returncode == 0,
                        f"{tag}: exits 0: hung={launch.hung} status={launch.returncode} "
                        f"stderr={launch.stderr[-3000:]!r}")
        with open(path) as f:
            runs = json.load(f)["runs"]
        self.assertEqual(len(runs), 1, f"{tag}: one run")
        return runs[0]

    def bad(self, tag, args, needle):
        """Runs expecting exit 2 (bad input) with `needle` in the message."""
        with self.subTest(tag):
            launch = self.launch(args)
            text = launch.stdout + launch.stderr
            self.assertTrue(not launch.hung and launch.returncode == 2,
                            f"{tag}: exits 2: hung={launch.hung} status={launch.returncode} "
                            f"output={text[-2000:]!r}")
            self.assertIn(needle, text, f"{tag}: message names {needle!r}")


def labels(run):
    """{label: count} of one run's summary."""
    return {l["label"]: l["count"] for l in run["labels"]}


def subcalls(run):
    """{label: {sub-call name: count}} of one run's summary."""
    return {l["label"]: {s["name"]: s["count"] for s in l["subcalls"]} for l in run["labels"]}


def rank_of(number, seed, ops, ranks):
    """The rank that calls `number` under --schedule static: contiguous slices, the remainder
    to the first ranks."""
    start = seed
    for r in range(ranks):
        size = ops // ranks + (1 if r < ops % ranks else 0)
        if start <= number < start + size:
            return r
        start += size
    raise ValueError(number)


def free_port():
    """A port nothing listens on right now (the kernel's pick, released again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout_s=20):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _die_with_parent():
    """In the child before exec: SIGTERM when the driver dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Nginx:
    """nginx in the foreground (`daemon off`), a child of this process, with its own config,
    pid, logs and temp paths in `root`. `config` is the http block's body; `{root}` in it is
    replaced by the directory. Use as a context manager."""

    def __init__(self, binary, root, config, ports, workers=1):
        self.binary, self.root, self.ports = binary, root, ports
        self.proc = None
        os.makedirs(root, exist_ok=True)
        self.conf = os.path.join(root, "nginx.conf")
        self.error_log = os.path.join(root, "error.log")
        temps = "\n".join(f"  {k}_temp_path {root}/{k}_temp;"
                          for k in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
        with open(self.conf, "w") as f:
            f.write(f"daemon off;\nmaster_process on;\nworker_processes {workers};\n"
                    f"pid {root}/nginx.pid;\nerror_log {self.error_log} warn;\n"
                    f"events {{ worker_connections 1024; }}\n"
                    f"http {{\n{temps}\n{config.replace('{root}', root)}\n}}\n")

    def __enter__(self):
        self.proc = subprocess.Popen(
            [self.binary, "-p", self.root, "-c", self.conf, "-e", self.error_log],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True, preexec_fn=_die_with_parent)
        if not all(wait_for_port(p, self.proc) for p in self.ports):
            self.stop()
            raise RuntimeError(f"nginx did not start: {self.errors()}")
        return self

    def __exit__(self, *exc):
        self.stop()

    def errors(self):
        try:
            with open(self.error_log) as f:
                return f.read()[-3000:]
        except OSError:
            return "(no error log)"

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Silent:
    """A server that accepts connections and never answers: requests to it time out."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for conn in self.held:
            conn.close()
