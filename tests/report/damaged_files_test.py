#!/usr/bin/env python3
"""gorgon_report on damaged results files: it reports (exit 0) or refuses the file with one
line (exit 2), and never crashes, aborts, runs out of memory or hangs.

    damaged_files_test.py GROUP --report R --gorgon G --data D --workdir W [--count N]

GROUP is one of:
  focused  one case per defect once found: balance rank numbers 2147483647 and -1, every
           calls/label 0xFFFFFFFF, huge dimensions in a file of a few KB, a scalar where a
           column belongs, flipped bytes in string attributes, a damaged global heap (format
           1). Each must be refused (exit 2).
  fuzz     N damaged copies of two real files (the committed format 1 file and a format 2
           file written by gorgon_mpi here), made with a fixed seed: byte flips at random
           offsets, truncations, and h5py edits (huge dimensions, ids out of range, datasets
           of the wrong type or rank, missing datasets and attributes). Each is run through
           gorgon_report, --json and --html; any other exit status, a signal, or a run past
           a generous timeout (a hang detector, not a speed bound) fails the test.

A failing copy is kept in the work directory (fuzz-NNN.h5) with the mutation that made it.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np

ARGS = None
HANG = 60  # seconds per run: far beyond any real report of these small files
SEED = 9   # fixed: the corpus is the same on every run; add a new finding as a focused case


def work(name):
    return os.path.join(ARGS.workdir, name)


def report(path, *extra):
    env = dict(os.environ)
    # A damaged file is expected to be refused; a leak report from the sanitizer pass would
    # still end with a signal-free non-zero status, so keep leak checking on.
    return subprocess.run([ARGS.report, path] + list(extra), capture_output=True, text=True,
                          errors="replace", env=env, timeout=HANG)


def outcomes(path):
    """gorgon_report text, --json and --html on `path`: [(mode, returncode, stderr)]."""
    out = []
    for mode, extra in (("text", []), ("json", ["--json"]),
                        ("html", ["--html", path + ".html", ]),):
        html = path + ".html"
        if os.path.exists(html):
            os.remove(html)
        try:
            p = report(path, *extra)
            out.append((mode, p.returncode, p.stderr))
        except subprocess.TimeoutExpired:
            out.append((mode, "timeout", f"no end after {HANG} s"))
    return out


def fresh_file():
    """A small format 2 results file with sub-calls, two runs, written by gorgon_mpi."""
    path = work("fresh.h5")
    if os.path.exists(path):
        os.remove(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"  # MPI's own, at exit
    p = subprocess.run([ARGS.gorgon, "--op", "file", "-p", "dir=" + work("fresh-dir"),
                        "-p", "ops=create,write,unlink", "-p", "size=16", "-p", "cleanup=true",
                        "-n", "200", "--runs", "1x1,1x2", "-o", path],
                       capture_output=True, text=True, env=env, timeout=HANG)
    if p.returncode != 0:
        raise AssertionError(f"gorgon_mpi -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return path


class Focused(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v1 = os.path.join(ARGS.data, "file_suite_v1.h5")
        cls.v2 = fresh_file()

    def damaged(self, name, source, edit):
        path = work(name)
        shutil.copy(source, path)
        with h5py.File(path, "r+") as f:
            edit(f)
        return path

    def expect_refused(self, path, *why):
        for mode, code, err in outcomes(path):
            with self.subTest(file=os.path.basename(path), mode=mode):
                self.assertEqual(code, 2, err)
                self.assertTrue(err.startswith("gorgon_report: error: "), err)
                self.assertEqual(err.count("\n"), 1, err)  # one line, no HDF5 error stack
                for w in why:
                    self.assertIn(w, err)

    def both(self, name, edit, *why):
        for tag, source in (("v1", self.v1), ("v2", self.v2)):
            self.expect_refused(self.damaged(f"{name}-{tag}.h5", source, edit), *why)

    def test_balance_rank_out_of_range(self):
        for rank in (2147483647, -1):
            def edit(f, rank=rank):
                f["runs/001/balance/ranks/rank"][0] = rank
            self.both(f"rank{rank}", edit, "balance/ranks/rank holds " + str(rank))

    def test_every_label_id_out_of_range(self):
        def edit(f):
            f["runs/001/calls/label"][:] = 0xFFFFFFFF
        # The summary is whole, so the text and JSON reports are made; the HTML's time series
        # streams the calls and meets the ids.
        for tag, source in (("v1", self.v1), ("v2", self.v2)):
            path = self.damaged(f"label-ff-{tag}.h5", source, edit)
            for mode, code, err in outcomes(path):
                with self.subTest(file=tag, mode=mode):
                    if mode == "html":
                        self.assertEqual(code, 2, err)
                        self.assertIn("calls/label row 0 is 4294967295", err)
                    else:
                        self.assertEqual(code, 0, err)

    def test_huge_dimensions(self):
        def huge(group, rows):
            def edit(f):
                g = f[group]
                for k in list(g.keys()):
                    dt = g[k].dtype
                    del g[k]
                    g.create_dataset(k, shape=(rows,), dtype=dt, chunks=(4096,))
            return edit
        self.both("huge-balance", huge("runs/000/balance/ranks", 10**9), "declares 1000000000 values")
        self.both("huge-calls", huge("runs/000/calls", 2**40), "declares 1099511627776 values")

    def test_scalar_for_a_column(self):
        for column in ("runs/000/calls/number", "runs/000/balance/ranks/calls",
                       "runs/000/summary/count"):
            def edit(f, column=column):
                del f[column]
                f[column] = np.uint64(5)
            self.both("scalar-" + column.replace("/", "-"), edit, "is a scalar, not a column")

    def test_flipped_bytes_in_string_attributes(self):
        # The first bytes of string attributes' values, each flipped in turn where it is
        # stored (in the attribute, format 2): the object header's checksum fails.
        with open(self.v2, "rb") as f:
            data = f.read()
        with h5py.File(self.v2, "r") as f:
            values = [f.attrs[k] for k in ("command_line", "hdf5_library", "start_utc")]
            values.append(f["runs/000"].attrs["operation"])
        for value in values:
            at = data.find(bytes(value))
            self.assertGreater(at, 0, value)
            for i in range(min(len(value), 6)):
                path = work(f"flip-attr-{i}.h5")
                damaged = bytearray(data)
                damaged[at + i] ^= 0xFF
                with open(path, "wb") as f:
                    f.write(damaged)
                for mode, code, err in outcomes(path):
                    with self.subTest(value=value, byte=i, mode=mode):
                        self.assertEqual(code, 2, err)
                        self.assertEqual(err.count("\n"), 1, err)


    def test_lengths_that_disagree(self):
        def fewer_calls(f):  # every calls/ column cut to half: consistent, but not the summary's
            g = f["runs/001/calls"]
            for k in list(g.keys()):
                data = g[k][: g[k].shape[0] // 2]
                del g[k]
                g[k] = data
        self.both("fewer-calls", fewer_calls, "calls/ columns have", "rows but its summary counts")

        def one_more_subcall(f):
            s = f["runs/001/summary"]
            row = int(np.nonzero(s["subcall_name"][:] != 0xFFFFFFFF)[0][0])
            s["count"][row] += 1
        self.both("more-subcalls", one_more_subcall, "subcalls/ columns have")

    def test_damaged_global_heap_of_a_format_1_file(self):
        # Format 1's string attributes are in the global heap; a flipped byte of its
        # collection size made libhdf5 loop in H5HG_read for ever (the fuzzer found it).
        with open(self.v1, "rb") as f:
            data = bytearray(f.read())
        at = data.find(b"GCOL")
        self.assertGreater(at, 0)
        data[at + 9] ^= 0xFF  # the collection size's second byte
        path = work("heap-v1.h5")
        with open(path, "wb") as f:
            f.write(data)
        p = report(path)  # text only: the refusal waits for the probe's time limit
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn("a damaged global heap", p.stderr)
        # Found by the fuzzer: an object of the heap that crashed libhdf5 in H5HG_read only
        # in the order a report reads the attributes (the probe reads that order too).
        with open(self.v1, "rb") as f:
            data = bytearray(f.read())
        data[2831] ^= 81
        data[58652] ^= 4
        path = work("heap-order-v1.h5")
        with open(path, "wb") as f:
            f.write(data)
        p = report(path)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("a damaged global heap", p.stderr)


# ---- the fuzzer -----------------------------------------------------------------------------

def datasets(f):
    out = []
    f.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


def attributed(f):
    out = [("", k) for k in f.attrs]
    def visit(name, obj):
        out.extend((name, k) for k in obj.attrs)
    f.visititems(visit)
    return sorted(out)


def h5py_edit(rng, f):
    """One structural edit of an open file; returns what it did."""
    names = datasets(f)
    name = rng.choice(names)
    d = f[name]
    kind = rng.choice(["huge", "ids", "ids", "type", "rank", "scalar", "delete", "attr", "shrink"])
    if kind == "huge":
        dt = d.dtype if d.dtype.kind in "uif" else np.uint8
        del f[name]
        f.create_dataset(name, shape=(rng.choice([10**9, 2**40, 2**62]),), dtype=dt, chunks=(1024,))
    elif kind == "ids" and d.dtype.kind in "ui" and d.shape and d.shape[0] > 0:
        info = np.iinfo(d.dtype)
        v = rng.choice([int(info.max), int(info.min), int(info.max) // 2, d.shape[0], -1 % (int(info.max) + 1)])
        v = max(int(info.min), min(int(info.max), v))
        rows = sorted({rng.randrange(d.shape[0]) for _ in range(3)})
        for r in rows:
            d[r] = v
        kind += f" {v} at rows {rows}"
    elif kind == "type":
        data = d[()]
        del f[name]
        f[name] = np.asarray(data).astype(np.float64) if rng.random() < 0.5 else \
            np.array([b"x" * 7] * (np.size(data) or 1))
    elif kind == "rank":
        n = max(1, d.shape[0] if d.shape else 1)
        del f[name]
        f.create_dataset(name, data=np.zeros((n, 3), dtype=np.uint64))
    elif kind == "scalar":
        del f[name]
        f[name] = np.uint32(7)
    elif kind == "delete":
        del f[name]
    elif kind == "shrink" and d.shape and d.shape[0] > 1:
        data = d[: d.shape[0] // 2]
        del f[name]
        f[name] = data
    else:
        kind = "attr"
        where, key = rng.choice(attributed(f))
        obj = f[where] if where else f
        choice = rng.choice(["int", "text", "delete", "array"])
        if choice == "int":
            obj.attrs[key] = np.int64(rng.choice([-1, 0, 2**31 - 1, 2**62]))
        elif choice == "text":
            obj.attrs[key] = np.bytes_(b"\xff\x00" * rng.randrange(1, 50))
        elif choice == "delete":
            del obj.attrs[key]
        else:
            obj.attrs[key] = np.arange(rng.randrange(0, 5), dtype=np.int32)
        return f"attr {where or '/'}:{key} -> {choice}"
    return f"{kind} {name}"


def mutate(rng, data, path):
    """Writes one damaged copy of `data` to `path`; returns what was done."""
    kind = rng.choice(["flip", "flip", "flip-head", "truncate", "h5py", "h5py"])
    out = bytearray(data)
    what = kind
    if kind in ("flip", "flip-head"):
        limit = len(out) if kind == "flip" else min(len(out), 16384)
        offsets = sorted(rng.randrange(limit) for _ in range(rng.randrange(1, 9)))
        for o in offsets:
            out[o] ^= 1 << rng.randrange(8) if rng.random() < 0.5 else rng.randrange(1, 256)
        what += f" at {offsets}"
    elif kind == "truncate":
        size = rng.randrange(len(out))
        del out[size:]
        what += f" to {size}"
    with open(path, "wb") as f:
        f.write(out)
    if kind == "h5py":
        with h5py.File(path, "r+") as f:
            try:
                what = h5py_edit(rng, f)
            except (TypeError, ValueError) as e:  # an edit h5py cannot make of this dataset
                what = f"h5py edit not made ({e})"
    return what


class Fuzz(unittest.TestCase):
    def test_damaged_copies_never_crash(self):
        sources = [os.path.join(ARGS.data, "file_suite_v1.h5"), fresh_file()]
        blobs = [open(s, "rb").read() for s in sources]
        # One generator per source: the committed file's copies are the same on every run
        # (the fresh file's depend on its bytes too).
        rngs = [random.Random(ARGS.seed + k) for k in range(len(sources))]
        failures = []
        for i in range(ARGS.count):
            k = i % len(sources)
            path = work(f"fuzz-{i:03d}.h5")
            what = f"{os.path.basename(sources[k])}: " + mutate(rngs[k], blobs[k], path)
            bad = [(m, c, e) for m, c, e in outcomes(path) if c not in (0, 2)]
            if bad:
                failures.append(f"{path} ({what}): " +
                                "; ".join(f"{m} -> {c}: {e.strip()[-300:]}" for m, c, e in bad))
            else:
                os.remove(path)
        self.assertEqual(failures, [], "\n".join(failures))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("group", choices=["focused", "fuzz"])
    for opt in ("--report", "--gorgon", "--data", "--workdir"):
        parser.add_argument(opt, required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=SEED)  # to explore; the suite uses SEED
    ARGS, _ = parser.parse_known_args()
    os.makedirs(ARGS.workdir, exist_ok=True)
    case = {"focused": Focused, "fuzz": Fuzz}[ARGS.group]
    result = unittest.TextTestRunner(verbosity=2).run(unittest.TestLoader().loadTestsFromTestCase(case))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
