#pragma once
// Where rank 0's progress goes, and whether a person watches it: stderr may be a terminal,
// or a pipe to mpirun (or orted) whose own stderr is the terminal.
#include <string>

namespace gorgon {

enum class ProgressMode { none, lines, bar };

/// "auto": a bar when stderr is a terminal or mpirun's stderr is one (then mpirun passes the
/// bar's redraws through), lines otherwise (a Slurm log, a file); "bar", "lines", "none".
ProgressMode progress_mode(const std::string& choice);

/// True when this process's stderr is a terminal, or it was started by mpirun / mpiexec (as
/// a child, or through its daemon on this host) whose stderr is a terminal.
bool stderr_reaches_a_terminal();

}  // namespace gorgon
