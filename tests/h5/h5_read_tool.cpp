// Reads a gorgon-mpi HDF5 file with gorgon::h5::Reader and prints what the tests compare:
//
//   h5_read_tool FILE            each run's title, report and balance, exactly as gorgon_mpi
//                                printed them live
//   h5_read_tool FILE --counts   calls per label and sub-calls per name, counted by streaming
//                                the raw columns (one "run <i> label|subcall <name> <n>" line
//                                each)
//   h5_read_tool FILE --info     the root metadata, one "name: value" line per attribute
//
// Exit status: 0; 2 on gorgon::FileError (its message on stderr); 3 on any other error.
#include <cstring>
#include <iostream>
#include <map>

#include "gorgon/h5/reader.hpp"
#include "gorgon/report/reporter.hpp"

namespace {

void print_counts(const gorgon::h5::Reader& file, std::size_t r) {
  const gorgon::h5::RunInfo run = file.run(r);
  std::map<std::string, std::uint64_t> labels, names;
  file.for_each_call_block(
      r,
      [&](const gorgon::h5::CallRows& rows) {
        for (std::uint32_t l : rows.label) ++labels[run.labels.at(l)];
      },
      1000);
  file.for_each_subcall_block(
      r,
      [&](const gorgon::h5::SubCallRows& rows) {
        for (std::uint32_t n : rows.name) ++names[run.subcall_names.at(n)];
      },
      1000);
  for (const auto& [l, n] : labels) std::cout << "run " << r << " label " << l << " " << n << "\n";
  for (const auto& [s, n] : names) std::cout << "run " << r << " subcall " << s << " " << n << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: h5_read_tool FILE [--counts|--info]\n";
    return 3;
  }
  const std::string mode = argc > 2 ? argv[2] : "";
  try {
    gorgon::h5::Reader file(argv[1]);
    if (mode == "--info") {
      for (const auto& [k, v] : file.info().attributes) std::cout << k << ": " << v << "\n";
      return 0;
    }
    for (std::size_t r = 0; r < file.run_count(); ++r) {
      if (mode == "--counts") {
        print_counts(file, r);
        continue;
      }
      const gorgon::h5::RunInfo run = file.run(r);
      std::cout << gorgon::run_title(run.summary, r, file.run_count())
                << gorgon::small_report(run.summary) << gorgon::balance_line(run.summary) << "\n";
    }
  } catch (const gorgon::FileError& e) {
    std::cerr << "h5_read_tool: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "h5_read_tool: unexpected " << e.what() << "\n";
    return 3;
  }
  return 0;
}
