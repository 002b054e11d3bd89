// gorgon_report: a gorgon_mpi results file as text (the live run's report), JSON, or a
// self-contained HTML page; optionally against a baseline file. See docs/report.md.
#include <iostream>

#include "h5_source.hpp"
#include "report_cli.hpp"

int main(int argc, char** argv) {
  return gorgon::analysis::report_main(argc, argv, std::cout, std::cerr,
                                       gorgon::analysis::open_results_file);
}
