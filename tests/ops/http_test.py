#!/usr/bin/env python3
"""The http operation against a real nginx on loopback, started and stopped here.

Checks, each against expectations computed here:
  * a fixed URL: every call counted under 200, each phase sub-call once per call, and at most
    one connection per thread (the handle is reused: keep-alive), from nginx's access log;
  * a requests file with {n}: counts per status from number % lines (200, 404, 201 through a
    proxied POST, 500), and nginx's log shows each call's URL, header and body with its number;
  * url with body and header parameters: POST by default, {n} replaced;
  * a refused connection (COULDNT_CONNECT) and a timeout (OPERATION_TIMEDOUT, against a socket
    that never answers), every call counted;
  * TLS: verified with cacert, refused without it (PEER_FAILED_VERIFICATION), insecure=true;
  * errors count (--cases errors): refused connections and 404s are failures, so
    --fail-if 'errors<1%' exits 3, the JSON, the file and the text report say so (loudly when
    every call failed); --ok-labels and --error-labels change which labels fail;
  * bad parameters exit 2 with a message naming the cause (file:line for a requests file).

One unittest case per group (CTest runs each alone, as ops.http.<case>; the errors case at
1, 2 and 4 ranks); they share one nginx, started by the class. Without nginx every case is
skipped (exit 77); without openssl the TLS case is.

    http_test.py --mpiexec mpiexec --ranks 2 --gorgon build/gorgon_mpi [--nginx /usr/sbin/nginx]
                 [Http.test_fixed_url ...]
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import GorgonCase, Nginx, Silent, free_port, labels, subcalls

PHASES = ["name lookup", "connect", "first byte", "total"]  # and "tls" for https

SERVER = """
  # escape=none: bodies as sent, and empty values as nothing (not "-")
  log_format calls escape=none '$request_method $request_uri x=$http_x_call '
                               'body=$request_body conn=$connection';
  access_log {root}/access.log calls;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:PORT;
    location = /ok { return 200 "ok"; }
    location = /fail { return 500; }
    location = /body { proxy_pass http://127.0.0.1:PORT/sink; }
    location = /sink { access_log off; return 201 "created"; }
    location / { return 404; }
  }
"""

TLS_SERVER = """
  server {
    listen 127.0.0.1:PORT ssl;
    ssl_certificate {root}/cert.pem;
    ssl_certificate_key {root}/key.pem;
    location = /ok { return 200 "ok"; }
  }
"""

REQUESTS = """# gorgon http test: call n sends line n % 4
GET http://127.0.0.1:PORT/ok?n={n}

GET http://127.0.0.1:PORT/missing/{n} -H 'X-Call: {n}'
POST http://127.0.0.1:PORT/body?n={n} -H 'X-Call: {n}' -H "Content-Type: application/json" {"n": {n}}
DELETE http://127.0.0.1:PORT/fail?n={n}
"""


class Http(GorgonCase):
    @classmethod
    def setUpClass(cls):
        nginx = harness.ARGS.nginx
        if not os.access(nginx, os.X_OK):
            raise unittest.SkipTest(f"no nginx at {nginx} (scripts/setup.sh installs it)")
        cls._server_tmp = tempfile.TemporaryDirectory(prefix="gorgon_http_")
        cls.root = os.path.join(cls._server_tmp.name, "nginx")
        os.makedirs(cls.root)
        cls.log = os.path.join(cls.root, "access.log")
        cls.port, cls.tls_port = free_port(), free_port()
        cls.have_cert = make_certificate(cls.root)
        config = SERVER.replace("PORT", str(cls.port))
        if cls.have_cert:
            config += TLS_SERVER.replace("PORT", str(cls.tls_port))
        ports = [cls.port] + ([cls.tls_port] if cls.have_cert else [])
        cls.nginx = Nginx(nginx, cls.root, config, ports)
        try:
            cls.nginx.__enter__()
        except BaseException:
            cls._server_tmp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls._server_tmp.cleanup()

    def setUp(self):
        super().setUp()
        # This case's own lines of nginx's access log start here.
        self.log_at = os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def url(self, path, tls=False):
        return f"http{'s' if tls else ''}://127.0.0.1:{self.tls_port if tls else self.port}{path}"

    def new_log_lines(self):
        """nginx's access log lines since the last call, as (line without conn, conn)."""
        with open(self.log) as f:
            f.seek(self.log_at)
            text = f.read()
            self.log_at = f.tell()
        out = []
        for line in text.splitlines():
            head, _, conn = line.rpartition(" conn=")
            out.append((head, conn))
        return out

    def assert_phases_per_call(self, tag, run, tls=False):
        names = PHASES + (["tls"] if tls else [])
        want = {l: {n: count for n in names} for l, count in labels(run).items()}
        self.assertEqual(subcalls(run), want, f"{tag}: each phase sub-call once per call")

    def test_fixed_url(self):
        tag, ops, threads = "url=/ok", 200, 2
        run = self.one_run(tag, ["--op", "http", "--param", "url=" + self.url("/ok?run=fixed"),
                                 "--ops", str(ops), "--threads", str(threads)])
        self.assertEqual(labels(run), {"200": ops}, f"{tag}: counts per status")
        self.assertEqual(run["result"]["count"], ops, f"{tag}: every call recorded")
        self.assert_phases_per_call(tag, run)
        lines = self.new_log_lines()
        self.assertEqual(len(lines), ops, f"{tag}: nginx served every call")
        conns = {conn for _, conn in lines}
        self.assertTrue(1 <= len(conns) <= self.ranks * threads,
                        f"{tag}: at most one connection per thread (keep-alive): "
                        f"{len(conns)} connections")

    def test_requests_file(self):
        tag, ops, seed = "requests file", 103, 1000
        path = os.path.join(self.tmp, "requests.txt")
        with open(path, "w") as f:
            f.write(REQUESTS.replace("PORT", str(self.port)))
        # --requests FILE is --param requests=FILE and implies --op http.
        run = self.one_run(tag, ["--requests", path, "--ops", str(ops),
                                 "--seed", str(seed), "--threads", "2"])
        numbers = range(seed, seed + ops)
        status = ["200", "404", "201", "500"]
        want = {}
        for n in numbers:
            want[status[n % 4]] = want.get(status[n % 4], 0) + 1
        self.assertEqual(labels(run), want, f"{tag}: counts per status from number % 4")
        self.assert_phases_per_call(tag, run)
        lines = [
            [f"GET /ok?n={n} x= body=", f"GET /missing/{n} x={n} body=",
             f'POST /body?n={n} x={n} body={{"n": {n}}}', f"DELETE /fail?n={n} x= body="][n % 4]
            for n in numbers]
        self.assertEqual(sorted(h for h, _ in self.new_log_lines()), sorted(lines),
                         f"{tag}: nginx saw {{n}} in URL, header and body")

    def test_url_with_body(self):
        tag, ops = "url with body and header", 24
        # --url URL is --param url=URL and implies --op http.
        run = self.one_run(tag, ["--url", self.url("/body?n={n}"),
                                 "--param", 'body={"n": {n}}',
                                 "--param", "header=X-Call: {n}\\nX-Other: 1",
                                 "--ops", str(ops), "--threads", "2"])
        self.assertEqual(labels(run), {"201": ops}, f"{tag}: POST when a body is given")
        self.assertEqual(sorted(h for h, _ in self.new_log_lines()),
                         sorted(f'POST /body?n={n} x={n} body={{"n": {n}}}' for n in range(ops)),
                         f"{tag}: nginx saw {{n}} in URL, header and body")

    def test_refused(self):
        tag, ops = "refused connection", 40
        run = self.one_run(tag, ["--op", "http", "--param",
                                 f"url=http://127.0.0.1:{free_port()}/",
                                 "--ops", str(ops), "--threads", "2"])
        self.assertEqual(labels(run), {"COULDNT_CONNECT": ops},
                         f"{tag}: every call COULDNT_CONNECT")
        self.assert_phases_per_call(tag, run)

    def test_timeout(self):
        tag, ops = "timeout", 6
        with Silent() as silent:
            run = self.one_run(tag, ["--op", "http", "--param",
                                     f"url=http://127.0.0.1:{silent.port}/", "--param",
                                     "timeout=200ms", "--ops", str(ops), "--threads", "2"])
        self.assertEqual(labels(run), {"OPERATION_TIMEDOUT": ops},
                         f"{tag}: every call OPERATION_TIMEDOUT")
        self.assertGreaterEqual(run["result"]["min_ns"], 190_000_000,
                                f"{tag}: no call ended before the 200ms limit")

    def test_tls(self):
        if not self.have_cert:
            self.skipTest("no openssl to make a certificate")
        ops, url = 20, "url=" + self.url("/ok", tls=True)
        cacert = "cacert=" + os.path.join(self.root, "cert.pem")
        for tag, params, want in [
                ("https with cacert", [url, cacert], "200"),
                ("https unverified", [url], "PEER_FAILED_VERIFICATION"),
                ("https insecure=true", [url, "insecure=true"], "200")]:
            with self.subTest(tag):
                args = ["--op", "http", "--ops", str(ops), "--threads", "2"]
                for p in params:
                    args += ["--param", p]
                run = self.one_run(tag, args)
                self.assertEqual(labels(run), {want: ops}, f"{tag}: counts")
                self.assert_phases_per_call(tag, run, tls=True)

    def test_errors(self):
        """Which labels fail: curl errors and statuses from 400, unless the user says."""
        ops = 8 * self.ranks
        refused = f"http://127.0.0.1:{free_port()}/"
        for tag, args, want_status, want_errors in [
                ("refused, errors<1%", ["--url", refused], 3, ops),
                ("404s, errors<1%", ["--url", self.url("/missing/{n}")], 3, ops),
                ("200s, errors<1%", ["--url", self.url("/ok")], 0, 0),
                ("404s with --ok-labels 2xx,4xx", ["--url", self.url("/missing"), "--ok-labels",
                                                   "2xx,4xx"], 0, 0),
                ("200s with --error-labels 200", ["--url", self.url("/ok"), "--error-labels",
                                                  "200"], 3, ops)]:
            with self.subTest(tag):
                self.check_errors(tag, args, want_status, want_errors, ops)

    def check_errors(self, tag, args, want_status, want_errors, ops):
        json_path = os.path.join(self.tmp, "errors.json")
        h5_path = os.path.join(self.tmp, "errors.h5")
        launch = self.launch(args + ["--ops", str(ops), "--fail-if", "errors<1%", "-q",
                                     "--json", json_path, "-o", h5_path, "--force"])
        self.assertTrue(not launch.hung and launch.returncode == want_status,
                        f"{tag}: exits {want_status}: status={launch.returncode} "
                        f"{launch.stderr[-2000:]!r}")
        with open(json_path) as f:
            run = json.load(f)["runs"][0]
        self.assertEqual(run["errors"], want_errors, f"{tag}: JSON errors")
        self.assertEqual([(l["limit"], l["passed"]) for l in run["limits"]],
                         [("errors<1%", want_errors == 0)], f"{tag}: JSON limit result")
        flagged = {l["label"]: l["error"] for l in run["labels"]}
        self.assertTrue(all(flagged.values()) == (want_errors > 0)
                        and (want_errors == 0 or all(flagged.values())),
                        f"{tag}: error labels flagged: {flagged}")
        if want_errors == ops:
            self.assertIn("EVERY CALL FAILED", launch.stdout,
                          f"{tag}: the report says every call failed")
            self.assertIn("every one of the", launch.stderr, f"{tag}: and so does stderr")
        rows = h5_summary_errors(h5_path)
        self.assertEqual(rows, (want_errors, [1 if e else 0 for e in flagged.values()]),
                         f"{tag}: the file's summary/error flags and error count")

    def test_bad_input(self):
        path = os.path.join(self.tmp, "bad-requests.txt")
        with open(path, "w") as f:
            f.write(f"GET {self.url('/ok')}\n# fine so far\nGET 127.0.0.1/no-scheme\n")
        self.bad("requests file with a bad line", ["--op", "http", "--param",
                                                   "requests=" + path], path + ":3:")
        self.bad("url and requests", ["--op", "http", "--param", "url=" + self.url("/"),
                                      "--param", "requests=" + path], "either url")
        self.bad("no url", ["--op", "http"], "either url")
        self.bad("--url and --param url=", ["--url", self.url("/"), "--param",
                                           "url=" + self.url("/")], "both given")
        self.bad("--url and --requests", ["--url", self.url("/"), "--requests", path],
                 "excludes")
        self.bad("--url with an operation without url", ["--op", "noop", "--url",
                                                         self.url("/")], "url")
        self.bad("missing requests file", ["--op", "http", "--param", "requests=/nonexistent"],
                 "/nonexistent")


def h5_summary_errors(path):
    """(calls under error labels, each label row's error flag) from the file, with h5py."""
    script = ("import h5py, sys; f = h5py.File(sys.argv[1], 'r'); s = f['runs/000/summary'];"
              "rows = [i for i in range(1, len(s['label'])) if s['subcall_name'][i] == 0xFFFFFFFF];"
              "print(sum(int(s['count'][i]) for i in rows if s['error'][i]),"
              "      [int(s['error'][i]) for i in rows])")
    out = subprocess.run(["/usr/bin/python3", "-c", script, path], capture_output=True,
                         text=True).stdout.split(" ", 1)
    if len(out) != 2:
        return None
    return int(out[0]), json.loads(out[1])


def make_certificate(root):
    openssl = shutil.which("openssl")
    if not openssl:
        return False
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", os.path.join(root, "key.pem"),
                    "-out", os.path.join(root, "cert.pem")],
                   check=True, capture_output=True)
    return True


if __name__ == "__main__":
    harness.run_cases(harness.parse(
        __doc__.splitlines()[0],
        lambda ap: ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")))
