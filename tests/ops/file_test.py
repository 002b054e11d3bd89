#!/usr/bin/env python3
"""The file operation under mpiexec, in a temporary directory.

Checks, each against expectations computed here:
  * the default steps (create, write, stat, read, unlink): every call "ok", one sub-call per
    step and call, a rank.<R> directory per rank left empty;
  * create, write, fsync with size=10000 and no unlink: the files f.<n> are there, in the
    directory of the rank that called n, each 10000 bytes long;
  * cleanup=true removes the files and the directories after the run;
  * stat of files that do not exist: "ENOENT", only the failing step recorded;
  * a directory under a regular file: create fails with "ENOTDIR" on every call;
  * bad parameters exit 2.

    file_test.py --mpiexec mpiexec --ranks 2 --gorgon build/gorgon_mpi
"""
import argparse
import os
import sys
import tempfile

from harness import Checks, Gorgon, labels, rank_of, subcalls


def file_args(directory, ops, *params, seed=0, threads=2):
    args = ["--op", "file", "--param", "dir=" + directory, "--ops", str(ops),
            "--seed", str(seed), "--threads", str(threads)]
    for p in params:
        args += ["--param", p]
    return args


def default_steps(g, c, tmp):
    tag, ops = "default steps", 200
    d = os.path.join(tmp, "default")
    run = g.run(tag, file_args(d, ops))
    if run:
        c.equal(f"{tag}: every call ok", labels(run), {"ok": ops})
        steps = ["create", "write", "stat", "read", "unlink"]
        c.equal(f"{tag}: a sub-call per step and call", subcalls(run),
                {"ok": {s: ops for s in steps}})
    c.equal(f"{tag}: a directory per rank", sorted(os.listdir(d)),
            sorted(f"rank.{r}" for r in range(g.ranks)))
    c.equal(f"{tag}: unlinked every file", [f for r in range(g.ranks)
                                            for f in os.listdir(os.path.join(d, f"rank.{r}"))],
            [])


def files_kept(g, c, tmp):
    tag, ops, seed, size = "create,write,fsync size=10000", 23, 40, 10000
    d = os.path.join(tmp, "kept")
    run = g.run(tag, file_args(d, ops, "ops=create,write,fsync", f"size={size}", seed=seed))
    if run:
        c.equal(f"{tag}: every call ok", labels(run), {"ok": ops})
        c.equal(f"{tag}: a sub-call per step and call", subcalls(run),
                {"ok": {"create": ops, "write": ops, "fsync": ops}})
    want = sorted((f"rank.{rank_of(n, seed, ops, g.ranks)}", f"f.{n}", size)
                  for n in range(seed, seed + ops))
    got = sorted((r, f, os.path.getsize(os.path.join(d, r, f)))
                 for r in os.listdir(d) for f in os.listdir(os.path.join(d, r)))
    c.equal(f"{tag}: f.<n> in its rank's directory, {size} bytes each", got, want)

    tag = "read the kept files"
    run = g.run(tag, file_args(d, ops, "ops=read,stat,unlink", f"size={size}", seed=seed))
    if run:
        c.equal(f"{tag}: every call ok", labels(run), {"ok": ops})
    c.equal(f"{tag}: then unlinked", [f for r in os.listdir(d)
                                      for f in os.listdir(os.path.join(d, r))], [])


def cleanup(g, c, tmp):
    tag, ops = "cleanup=true", 30
    d = os.path.join(tmp, "clean", "sub")
    run = g.run(tag, file_args(d, ops, "ops=create,write", "cleanup=true"))
    if run:
        c.equal(f"{tag}: every call ok", labels(run), {"ok": ops})
    c.check(f"{tag}: the directory is gone after the run", not os.path.exists(d),
            os.listdir(d) if os.path.isdir(d) else "")


def failures(g, c, tmp):
    tag, ops = "stat of missing files", 20
    run = g.run(tag, file_args(os.path.join(tmp, "empty"), ops, "ops=stat,unlink"))
    if run:
        c.equal(f"{tag}: ENOENT", labels(run), {"ENOENT": ops})
        c.equal(f"{tag}: only the failing step recorded", subcalls(run),
                {"ENOENT": {"stat": ops}})

    tag = "directory under a regular file"
    regular = os.path.join(tmp, "regular")
    with open(regular, "w") as f:
        f.write("not a directory\n")
    run = g.run(tag, file_args(os.path.join(regular, "sub"), ops))
    if run:
        c.equal(f"{tag}: ENOTDIR", labels(run), {"ENOTDIR": ops})
        c.equal(f"{tag}: create recorded", subcalls(run), {"ENOTDIR": {"create": ops}})


def bad_input(g, tmp):
    d = os.path.join(tmp, "bad")
    g.bad("unknown step", file_args(d, 4, "ops=create,chmod"), "chmod")
    g.bad("step twice", file_args(d, 4, "ops=create,create"), "twice")
    g.bad("negative size", file_args(d, 4, "size=-5"), "size")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--gorgon", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    opts = ap.parse_args()
    c = Checks(f"[file, {opts.ranks} ranks]")
    with tempfile.TemporaryDirectory(prefix="gorgon_file_") as tmp:
        g = Gorgon(opts, c, tmp)
        default_steps(g, c, tmp)
        files_kept(g, c, tmp)
        cleanup(g, c, tmp)
        failures(g, c, tmp)
        bad_input(g, tmp)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
