"""The record of one (finished or hung) mpiexec launch, shared by the script-driven tests
(tests/mpi/cli_test.py, tests/ops/harness.py)."""


class Launch:
    """One finished (or hung) mpiexec launch."""

    def __init__(self, returncode, stdout, stderr, hung):
        self.returncode, self.stdout, self.stderr, self.hung = returncode, stdout, stderr, hung
