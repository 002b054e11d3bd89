"""What the script-driven tests share: named checks that print one line each and a summary,
and the record of one (finished or hung) mpiexec launch. Imported by tests/mpi/cli_test.py
and tests/ops/harness.py."""


class Checks:
    def __init__(self, prefix):
        self.prefix, self.count, self.failed = prefix, 0, []

    def check(self, name, ok, detail=""):
        self.count += 1
        if ok:
            print(f"ok    {self.prefix} {name}", flush=True)
        else:
            self.failed.append(name)
            print(f"FAIL  {self.prefix} {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def equal(self, name, got, want):
        return self.check(name, got == want, f"got {got!r}, expected {want!r}")

    def finish(self):
        """Prints the summary; returns the exit status (1 when any check failed)."""
        print(f"{self.count - len(self.failed)} of {self.count} checks passed", flush=True)
        for name in self.failed:
            print(f"  failed: {name}")
        return 1 if self.failed else 0


class Launch:
    """One finished (or hung) mpiexec launch."""

    def __init__(self, returncode, stdout, stderr, hung):
        self.returncode, self.stdout, self.stderr, self.hung = returncode, stdout, stderr, hung
