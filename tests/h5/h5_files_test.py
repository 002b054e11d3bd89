#!/usr/bin/env python3
"""The HDF5 file from the outside: gorgon_mpi -o under mpiexec, read by h5py and by
gorgon's reader (h5_read_tool); file safety; reader errors; h5dump -H against the spec.

    h5_files_test.py GROUP --mpiexec M --gorgon G --driver D --reader R --report P --docs F
                     --workdir W

GROUP is one of: counts, safety, reader_errors, format_doc, labels.
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np

ARGS = None
LAUNCH_TIMEOUT = 120  # seconds: a hang fails the test instead of stalling it


def run(cmd, env=None, check=None):
    full_env = dict(os.environ)
    for k in [k for k in full_env if k.startswith("SLURM_")]:
        del full_env[k]
    full_env.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=LAUNCH_TIMEOUT)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{' '.join(cmd)} -> {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def mpi(ranks, program, *args, env=None, check=None):
    cmd = [ARGS.mpiexec, "--oversubscribe", "-np", str(ranks)]
    for k in (env or {}):
        cmd += ["-x", k]
    return run(cmd + [program] + list(args), env=env, check=check)


def strings(table):
    """A string table of format 2 (an offsets + bytes group), decoded."""
    o, b = table["offsets"][:], table["bytes"][:].tobytes()
    return [b[o[i]:o[i + 1]].decode() for i in range(len(o) - 1)]


def text(value):
    """A string attribute (fixed-length: h5py gives bytes), decoded."""
    return value.decode()


def path(name):
    return os.path.join(ARGS.workdir, name)


def fresh(name):
    p = path(name)
    if os.path.exists(p):
        os.remove(p)
    return p


def leftovers(name):
    """Temporary files of `name` left in the work directory."""
    return [f for f in os.listdir(ARGS.workdir) if f.startswith("." + name + ".tmp")]


class Counts(unittest.TestCase):
    def test_git_revision_is_taken_at_build_time(self):
        """The file names the revision the program was built from: the one the build wrote
        into its generated source (cmake/git_revision.cmake, run at every build), which is the
        checkout's revision when the script runs now (at configure time it went stale)."""
        generated = open(ARGS.revision_file).read()
        built = re.search(r'return "([^"]*)";', generated).group(1)
        h5 = fresh("revision.h5")
        mpi(1, ARGS.gorgon, "--op", "noop", "-n", "10", "-o", h5, check=0)
        with h5py.File(h5, "r") as f:
            self.assertEqual(text(f.attrs["git_revision"]), built)
        root = os.path.dirname(os.path.dirname(os.path.abspath(ARGS.docs)))
        out = fresh("git_revision.cpp")
        run(["cmake", f"-DSOURCE_DIR={root}", f"-DOUT={out}", "-P",
             os.path.join(root, "cmake", "git_revision.cmake")], check=0)
        now = re.search(r'return "([^"]*)";', open(out).read()).group(1)
        head = run(["git", "-C", root, "rev-parse", "--short", "HEAD"])
        if head.returncode != 0:
            self.assertEqual(now, "unknown")
        else:
            dirty = run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])
            self.assertEqual(now, head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else ""))

    def test_openmp_binding_is_recorded(self):
        h5 = fresh("bind.h5")
        mpi(2, ARGS.gorgon, "--op", "noop", "-n", "100", "-t", "2", "-o", h5,
            env={"OMP_PROC_BIND": "spread", "OMP_PLACES": "threads"}, check=0)
        with h5py.File(h5, "r") as f:
            self.assertEqual((text(f.attrs["omp_proc_bind"]), text(f.attrs["omp_places"])),
                             ("spread", "threads"))
        mpi(2, ARGS.gorgon, "--op", "noop", "-n", "100", "-o", h5, "--force",
            env={"OMP_PROC_BIND": "false"}, check=0)
        with h5py.File(h5, "r") as f:
            self.assertEqual(text(f.attrs["omp_proc_bind"]), "false")

    def test_hash_counts_match_json_and_report(self):
        h5, js = fresh("hash.h5"), fresh("hash.json")
        p = mpi(4, ARGS.gorgon, "--op", "hash", "-p", "iterations=10", "-n", "3000", "-t", "2",
                "-o", h5, "--json", js, check=0)
        summary = json.load(open(js))["runs"][0]
        with h5py.File(h5, "r") as f:
            self.assertEqual(text(f.attrs["format"]), "gorgon-mpi")
            self.assertEqual(f.attrs["format_version"], 2)
            self.assertEqual(len(f.attrs["hosts"]), 4)
            self.assertIn("-o " + h5, text(f.attrs["command_line"]))
            run0 = f["runs/000"]
            self.assertEqual(text(run0.attrs["operation"]), "hash")
            self.assertEqual(run0.attrs["ops"], 3000)
            self.assertEqual((run0.attrs["ranks"], run0.attrs["threads"]), (4, 2))
            self.assertEqual(text(run0["params"].attrs["iterations"]), "10")
            labels = strings(run0["labels"])
            label = run0["calls/label"][:]
            counts = collections.Counter(labels[i] for i in label)
            self.assertEqual(counts, {l["label"]: l["count"] for l in summary["labels"]})
            self.assertEqual(sorted(run0["calls/number"][:].tolist()), list(range(3000)))
            ranks = np.bincount(run0["calls/rank"][:], minlength=4).tolist()
            self.assertEqual(ranks, [r["calls"] for r in summary["balance"]["ranks"]])
            pairs = collections.Counter(zip(run0["calls/rank"][:].tolist(), run0["calls/thread"][:].tolist()))
            for t in summary["balance"]["threads"]:
                self.assertEqual(pairs.get((t["rank"], t["thread"]), 0), t["calls"])
            count = run0["summary/count"][:]
            self.assertEqual(count[0], 3000)
            self.assertEqual(run0.attrs["wall_ns"], summary["wall_ns"])
        # The report printed from the file is the one gorgon_mpi printed live, line for line.
        read = run([ARGS.reader, h5], check=0)
        self.assertEqual(read.stdout, p.stdout)

    def test_subcalls_counts_match_json(self):
        h5, js = fresh("sub.h5"), fresh("sub.json")
        n = 4000
        p = mpi(4, ARGS.driver, "--op", "h5_subcalls", "-n", str(n), "--runs", "4x2,1x1,3x1",
                "-o", h5, "--json", js, check=0)
        runs = json.load(open(js))["runs"]
        read = run([ARGS.reader, h5], check=0)
        self.assertEqual(read.stdout, p.stdout[:len(read.stdout)])
        tool_counts = run([ARGS.reader, h5, "--counts"], check=0).stdout.splitlines()
        with h5py.File(h5, "r") as f:
            self.assertEqual(sorted(f["runs"].keys()), ["000", "001", "002"])
            for i, js_run in enumerate(runs):
                r = f[f"runs/{i:03d}"]
                labels = strings(r["labels"])
                names = strings(r["subcall_names"])
                number = r["calls/number"][:]
                label_of = dict(zip(number.tolist(), (labels[l] for l in r["calls/label"][:])))
                expect = collections.Counter(
                    "exception: boom" if k % 11 == 0 else ("odd" if k % 2 else "even") for k in range(n))
                self.assertEqual(collections.Counter(label_of.values()), expect)
                sub = collections.Counter(
                    (label_of[c], names[s]) for c, s in zip(r["subcalls/call_number"][:].tolist(),
                                                            r["subcalls/name"][:].tolist()))
                js_sub = {(l["label"], s["name"]): s["count"] for l in js_run["labels"] for s in l["subcalls"]}
                self.assertEqual(dict(sub), js_sub)
                self.assertEqual(sum(v for (l, s), v in sub.items() if s == "step 2"), (n + 2) // 3)
                by_name = collections.Counter(names[s] for s in r["subcalls/name"][:])
                for name, c in by_name.items():
                    self.assertIn(f"run {i} subcall {name} {c}", tool_counts)
                # Calls start after their rank's start barrier and end before its last call ended.
                rank = r["calls/rank"][:]
                start = r["calls/start_ns"][:]
                end = start + r["calls/duration_ns"][:]
                rank_start = r["balance/ranks/start_ns"][:]
                rank_wall = r["balance/ranks/wall_ns"][:]
                self.assertTrue(np.all(start >= rank_start[rank]))
                self.assertTrue(np.all(end <= rank_start[rank] + rank_wall[rank]))

    def test_compressed_file_is_deflated_and_reads_back(self):
        h5 = fresh("z.h5")
        p = mpi(2, ARGS.driver, "--op", "h5_subcalls", "-n", "5000", "-t", "2", "--compress",
                "-o", h5, check=0)
        with h5py.File(h5, "r") as f:
            c = f["runs/000/calls/start_ns"]
            self.assertEqual(c.compression, "gzip")
            self.assertTrue(c.shuffle)
            self.assertEqual(sorted(f["runs/000/calls/number"][:].tolist()), list(range(5000)))
        self.assertEqual(run([ARGS.reader, h5], check=0).stdout, p.stdout)


class Safety(unittest.TestCase):
    def test_existing_file_needs_force(self):
        h5 = fresh("exists.h5")
        with open(h5, "w") as f:
            f.write("keep me")
        p = mpi(2, ARGS.gorgon, "--op", "noop", "-n", "100", "-o", h5, check=2)
        self.assertIn("exists; use --force", p.stderr)
        self.assertNotIn("Total time", p.stdout)  # refused before the run started
        self.assertEqual(open(h5).read(), "keep me")
        mpi(2, ARGS.gorgon, "--op", "noop", "-n", "100", "-o", h5, "--force", check=0)
        run([ARGS.reader, h5], check=0)
        self.assertEqual(leftovers("exists.h5"), [])

    def test_force_and_compress_need_output(self):
        p = mpi(1, ARGS.gorgon, "--op", "noop", "--force", check=2)
        self.assertIn("-o or --json", p.stderr)
        p = mpi(1, ARGS.gorgon, "--op", "noop", "--compress", check=2)
        self.assertIn("--output", p.stderr)

    def test_unwritable_directory_is_reported_before_the_run(self):
        targets = ["/nonexistent-gorgon-dir/x.h5", "/proc/gorgon-test.h5"]
        if os.geteuid() != 0:
            ro = path("readonly")
            os.makedirs(ro, exist_ok=True)
            os.chmod(ro, 0o555)
            targets.append(os.path.join(ro, "x.h5"))
        for target in targets:
            with self.subTest(target=target):
                p = mpi(2, ARGS.gorgon, "--op", "noop", "-n", "100", "-o", target, check=2)
                self.assertIn("cannot write", p.stderr)
                self.assertNotIn("Total time", p.stdout)

    def test_failure_midway_leaves_nothing(self):
        h5 = fresh("midway.h5")
        p = mpi(2, ARGS.gorgon, "--op", "noop", "-n", "2000", "--runs", "2x1,2x2,1x1", "-o", h5,
                env={"GORGON_H5_TEST_FAIL": "1"}, check=1)
        self.assertIn("injected failure", p.stderr)
        self.assertIn("cannot write '" + h5 + "'", p.stderr)
        self.assertFalse(os.path.exists(h5))
        self.assertEqual(leftovers("midway.h5"), [])

    def test_failure_midway_keeps_the_old_file(self):
        h5 = fresh("old.h5")
        with open(h5, "w") as f:
            f.write("old results")
        mpi(2, ARGS.gorgon, "--op", "noop", "-n", "2000", "--runs", "2x1,2x2", "-o", h5, "--force",
            env={"GORGON_H5_TEST_FAIL": "0"}, check=1)
        self.assertEqual(open(h5).read(), "old results")
        self.assertEqual(leftovers("old.h5"), [])

    def test_disk_full_midway_leaves_nothing(self):
        """A real write error: the run's directory is a 1 MiB tmpfs, mounted in a private
        mount namespace (so nothing outlives the test), and the calls do not fit (in the
        spill files while the run goes, or in the file after it). With
        --compress (collective filtered writes) 4 ranks hung in HDF5 before the space was
        reserved up front; a run that fits still gets written."""
        if shutil.which("unshare") is None:
            self.skipTest("no unshare(1)")
        probe = run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"])
        if probe.returncode != 0:
            self.skipTest("cannot mount a tmpfs in a user namespace: " + probe.stderr.strip())
        small = path("small")
        os.makedirs(small, exist_ok=True)
        for ranks, compress, calls in ((1, "", 200000), (2, "", 200000), (4, "", 200000),
                                       (1, "--compress", 2000000), (4, "--compress", 2000000),
                                       (4, "--compress", 2000)):
            with self.subTest(ranks=ranks, compress=compress, calls=calls):
                h5 = os.path.join(small, "full.h5")
                script = (f"mount -t tmpfs -o size=1m tmpfs {small} || exit 99; "
                          f"{ARGS.mpiexec} --oversubscribe -np {ranks} {ARGS.driver} --op noop "
                          f"-n {calls} -o {h5} {compress}; rc=$?; echo; echo listing:; "
                          f"ls -A {small}; exit $rc")
                p = run(["unshare", "-rm", "sh", "-c", script])
                left = p.stdout.split("listing:")[-1].split()
                if calls == 2000:  # fits
                    self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    self.assertEqual(left, ["full.h5"])
                    continue
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                # Full while the run goes (the rows spilled beside the file) or while the
                # file is written after it: either way one message naming where.
                self.assertTrue("cannot write '" + h5 + "'" in p.stderr or
                                "cannot write the spill file " + small in p.stderr, p.stderr)
                self.assertEqual(left, [])  # nothing left: no file, no spill directory


class ReaderErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.good = fresh("good.h5")
        mpi(1, ARGS.gorgon, "--op", "noop", "-n", "5000", "-o", cls.good, check=0)

    def expect_error(self, target, *fragments):
        p = run([ARGS.reader, target])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)  # one clear message
        self.assertIn(target, p.stderr)
        for fragment in fragments:
            self.assertIn(fragment, p.stderr)
        self.assertNotIn("HDF5-DIAG", p.stderr)

    def test_good_file_reads(self):
        run([ARGS.reader, self.good], check=0)

    def test_missing(self):
        self.expect_error(path("missing.h5"), "no such file")

    def test_truncated(self):
        size = os.path.getsize(self.good)
        for keep in (size // 2, size - 100, 1000, 100):
            with self.subTest(keep=keep):
                cut = fresh(f"cut{keep}.h5")
                with open(self.good, "rb") as src, open(cut, "wb") as dst:
                    dst.write(src.read(keep))
                self.expect_error(cut, "damaged or truncated")

    def test_random_bytes(self):
        junk = fresh("random.h5")
        with open(junk, "wb") as f:
            f.write(np.random.default_rng(7).bytes(100000))
        self.expect_error(junk, "not an HDF5 file")

    def test_other_format(self):
        other = fresh("other.h5")
        with h5py.File(other, "w") as f:
            f.attrs["format"] = "someone-else"
            f["data"] = np.arange(10)
        self.expect_error(other, "not a gorgon-mpi file", "someone-else")
        plain = fresh("plain.h5")
        with h5py.File(plain, "w") as f:
            f["data"] = np.arange(10)
        self.expect_error(plain, "not a gorgon-mpi file")

    def test_newer_format_version(self):
        newer = fresh("newer.h5")
        shutil.copy(self.good, newer)
        with h5py.File(newer, "r+") as f:
            f.attrs.modify("format_version", np.int32(3))
        self.expect_error(newer, "format_version 3", "newer")


class FormatDoc(unittest.TestCase):
    def test_h5dump_matches_the_spec(self):
        """docs/hdf5-format.md holds `h5dump -H` of this exact command's file."""
        h5 = fresh("example.h5")
        mpi(2, ARGS.gorgon, "--op", "hash", "-p", "iterations=1", "-n", "1000", "-t", "2",
            "-o", h5, check=0)
        dump = run(["h5dump", "-H", h5], check=0).stdout
        doc = open(ARGS.docs).read()
        m = re.search(r"<!-- h5dump-H begin -->\s*```text\n(.*?)```\s*<!-- h5dump-H end -->", doc, re.S)
        self.assertIsNotNone(m, "the spec has no h5dump -H block")
        self.assertEqual(normalize(m.group(1)), normalize(dump))

    def test_readme_python_recipe_reads_the_file(self):
        """README's pandas recipe, run as it is written against a real file."""
        readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ARGS.docs))),
                              "README.md")
        m = re.search(r"## Reading the file in Python.*?```python\n(.*?)```", open(readme).read(),
                      re.S)
        self.assertIsNotNone(m, "README has no Python recipe")
        h5 = fresh("recipe.h5")
        mpi(2, ARGS.gorgon, "--op", "hash", "-p", "iterations=1", "-n", "1000", "-o", h5, check=0)
        script = m.group(1).replace('"hash.h5"', repr(h5)) + (
            "\nprint(len(calls), dict(calls['label'].value_counts()))\n")
        p = run(["/usr/bin/python3", "-c", script])
        if p.returncode != 0 and "No module named 'pandas'" in p.stderr:
            self.skipTest("python3-pandas is not installed (scripts/setup.sh installs it)")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "1000 {'SUCCESS': 800, 'FAIL': 200}")


def normalize(dump):
    """The file name, the histogram's length (it depends on the timings) and the lengths of
    string attributes (host names, paths, versions) aside."""
    dump = re.sub(r'^HDF5 ".*?" \{', 'HDF5 "example.h5" {', dump.strip(), flags=re.M)
    dump = re.sub(r'STRSIZE \d+;', 'STRSIZE N;', dump)
    return re.sub(r'(DATASET "histogram_counts" \{\n.*\n\s*DATASPACE  SIMPLE \{ \( )\d+( \) / \( )\d+',
                  r"\1N\2N", dump)


class Labels(unittest.TestCase):
    """Labels are kept byte for byte (NUL included), bounded in length, written to JSON
    whatever their bytes, and stored at the size of their bytes (issue 9)."""

    CUT = "L" * (4096 - len("...[cut]")) + "...[cut]"

    def test_every_byte_is_kept_and_json_survives_invalid_utf8(self):
        h5, js = fresh("hostile.h5"), fresh("hostile.json")
        live = mpi(2, ARGS.driver, "--op", "h5_hostile", "-n", "600", "-t", "2", "-o", h5,
                   "--json", js, check=0).stdout
        expect = {b"x\0y": 100, b"x\0z": 100, b"x": 100, b"\xff\xfe!": 100,
                  b"\x1b[31mred\nline": 100, self.CUT.encode(): 100}
        with h5py.File(h5, "r") as f:
            r = f["runs/000"]
            o, b = r["labels/offsets"][:], r["labels/bytes"][:].tobytes()
            labels = [b[o[i]:o[i + 1]] for i in range(len(o) - 1)]
            self.assertEqual(labels, sorted(expect))  # sorted by bytes, each once
            self.assertEqual(collections.Counter(labels[i] for i in r["calls/label"][:]), expect)
        as_json = {k.decode("utf-8", "replace"): v for k, v in expect.items()}
        with open(js, encoding="utf-8") as f:
            run0 = json.load(f)["runs"][0]
        self.assertEqual({l["label"]: l["count"] for l in run0["labels"]}, as_json)
        p = run([ARGS.report, h5, "--json"], check=0)
        self.assertEqual({l["label"]: l["count"] for l in json.loads(p.stdout)["runs"][0]["labels"]},
                         as_json)
        self.assertEqual(run([ARGS.report, h5], check=0).stdout, live)  # the live report
        html = fresh("hostile.html")
        run([ARGS.report, h5, "--html", html], check=0)

    def test_many_labels_are_stored_at_their_size(self):
        # 20,001 labels, one of 64 KiB: at the width of the longest this was a 1.3 GB file.
        h5 = fresh("many.h5")
        mpi(1, ARGS.driver, "--op", "h5_many", "-n", "20001", "-o", h5, check=0)
        self.assertLess(os.path.getsize(h5), 16 << 20)
        with h5py.File(h5, "r") as f:
            o, b = f["runs/000/labels/offsets"][:], f["runs/000/labels/bytes"]
            self.assertEqual(len(o), 20002)
            names = {str(n) for n in range(1, 20001)} | {self.CUT}
            self.assertEqual(b.shape[0], sum(len(n) for n in names))


GROUPS = {"counts": Counts, "safety": Safety, "reader_errors": ReaderErrors, "format_doc": FormatDoc,
          "labels": Labels}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("group", choices=GROUPS)
    for opt in ("mpiexec", "gorgon", "driver", "reader", "report", "docs", "workdir",
                "revision-file"):
        parser.add_argument("--" + opt, required=True)
    ARGS, rest = parser.parse_known_args()
    os.makedirs(ARGS.workdir, exist_ok=True)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(GROUPS[ARGS.group])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
