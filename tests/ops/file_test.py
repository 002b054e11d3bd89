#!/usr/bin/env python3
"""The file operation under mpiexec, in a temporary directory.

Checks, each against expectations computed here:
  * the default steps (create, write, stat, read, unlink): every call "ok", one sub-call per
    step and call, a rank.<R> directory per rank left empty;
  * create, write, fsync with size=10000 and no unlink (--schedule static): the files f.<n>
    are there, in the directory of the rank that called n, each 10000 bytes long;
  * cleanup=true removes the files and the directories after the run;
  * stat of files that do not exist: "ENOENT", only the failing step recorded;
  * a directory under a regular file: create fails with "ENOTDIR" on every call;
  * bad parameters exit 2.

One unittest case per group (CTest runs each alone, as ops.file.<case>).

    file_test.py --mpiexec mpiexec --ranks 2 --gorgon build/gorgon_mpi [File.test_cleanup ...]
"""
import os

import harness
from harness import GorgonCase, labels, rank_of, subcalls


def file_args(directory, ops, *params, seed=0, threads=2):
    args = ["--op", "file", "--param", "dir=" + directory, "--ops", str(ops),
            "--seed", str(seed), "--threads", str(threads)]
    for p in params:
        args += ["--param", p]
    return args


class File(GorgonCase):
    def test_default_steps(self):
        tag, ops = "default steps", 200
        d = os.path.join(self.tmp, "default")
        run = self.one_run(tag, file_args(d, ops))
        self.assertEqual(labels(run), {"ok": ops}, f"{tag}: every call ok")
        steps = ["create", "write", "stat", "read", "unlink"]
        self.assertEqual(subcalls(run), {"ok": {s: ops for s in steps}},
                         f"{tag}: a sub-call per step and call")
        self.assertEqual(sorted(os.listdir(d)), sorted(f"rank.{r}" for r in range(self.ranks)),
                         f"{tag}: a directory per rank")
        self.assertEqual([f for r in range(self.ranks)
                          for f in os.listdir(os.path.join(d, f"rank.{r}"))], [],
                         f"{tag}: unlinked every file")

    def test_files_kept(self):
        tag, ops, seed, size = "create,write,fsync size=10000", 23, 40, 10000
        d = os.path.join(self.tmp, "kept")
        # --schedule static: each rank calls its slice, so the rank of each number is known,
        # and the second run's ranks find the files their slice made.
        static = ["--schedule", "static"]
        run = self.one_run(tag, file_args(d, ops, "ops=create,write,fsync", f"size={size}",
                                          seed=seed) + static)
        self.assertEqual(labels(run), {"ok": ops}, f"{tag}: every call ok")
        self.assertEqual(subcalls(run), {"ok": {"create": ops, "write": ops, "fsync": ops}},
                         f"{tag}: a sub-call per step and call")
        want = sorted((f"rank.{rank_of(n, seed, ops, self.ranks)}", f"f.{n}", size)
                      for n in range(seed, seed + ops))
        got = sorted((r, f, os.path.getsize(os.path.join(d, r, f)))
                     for r in os.listdir(d) for f in os.listdir(os.path.join(d, r)))
        self.assertEqual(got, want, f"{tag}: f.<n> in its rank's directory, {size} bytes each")

        tag = "read the kept files"
        run = self.one_run(tag, file_args(d, ops, "ops=read,stat,unlink", f"size={size}",
                                          seed=seed) + static)
        self.assertEqual(labels(run), {"ok": ops}, f"{tag}: every call ok")
        self.assertEqual([f for r in os.listdir(d) for f in os.listdir(os.path.join(d, r))], [],
                         f"{tag}: then unlinked")

    def test_cleanup(self):
        tag, ops = "cleanup=true", 30
        d = os.path.join(self.tmp, "clean", "sub")
        run = self.one_run(tag, file_args(d, ops, "ops=create,write", "cleanup=true"))
        self.assertEqual(labels(run), {"ok": ops}, f"{tag}: every call ok")
        self.assertFalse(os.path.exists(d), f"{tag}: the directory is gone after the run: "
                         f"{os.listdir(d) if os.path.isdir(d) else ''}")

    def test_failures(self):
        tag, ops = "stat of missing files", 20
        with self.subTest(tag):
            run = self.one_run(tag, file_args(os.path.join(self.tmp, "empty"), ops,
                                              "ops=stat,unlink"))
            self.assertEqual(labels(run), {"ENOENT": ops}, f"{tag}: ENOENT")
            self.assertEqual(subcalls(run), {"ENOENT": {"stat": ops}},
                             f"{tag}: only the failing step recorded")

        tag = "directory under a regular file"
        with self.subTest(tag):
            regular = os.path.join(self.tmp, "regular")
            with open(regular, "w") as f:
                f.write("not a directory\n")
            run = self.one_run(tag, file_args(os.path.join(regular, "sub"), ops))
            self.assertEqual(labels(run), {"ENOTDIR": ops}, f"{tag}: ENOTDIR")
            self.assertEqual(subcalls(run), {"ENOTDIR": {"create": ops}}, f"{tag}: create recorded")

    def test_bad_input(self):
        d = os.path.join(self.tmp, "bad")
        self.bad("unknown step", file_args(d, 4, "ops=create,chmod"), "chmod")
        self.bad("step twice", file_args(d, 4, "ops=create,create"), "twice")
        self.bad("negative size", file_args(d, 4, "size=-5"), "size")


if __name__ == "__main__":
    harness.run_cases(harness.parse(__doc__.splitlines()[0]))
