// Writes HTML reports of synthetic results for the Chromium render test:
//   report_html_fixture OUT_DIR [CHARTJS]
// suite.html: a three-run scaling suite with sub-calls and a baseline comparison;
// hostile.html: every string from the "file" is </script><img src=x onerror=alert(1)>;
// single.html: one run with no raw calls (no time series) and one label;
// broken.html: suite.html with a chart that cannot be drawn (the check must notice).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "html_report.hpp"
#include "source.hpp"
#include "synthetic.hpp"

using namespace gorgon::analysis;
using testing::kHostile;

namespace {

void write(const std::string& path, const ReportData& data, const std::string& chartjs) {
  std::ofstream out(path, std::ios::binary);
  write_html_report(data, chartjs, out);
  if (!out) throw std::runtime_error("cannot write " + path);
}

ReportData with_series(testing::SyntheticSource& source) {
  BuildOptions o;
  o.time_series = true;
  return build_report(source, o);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: report_html_fixture OUT_DIR [CHARTJS]\n";
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const std::string chartjs = load_chartjs(argc > 2 ? argv[2] : default_chartjs_path());
    const Metadata file_meta = {{"format", "gorgon-mpi"},
                                {"format_version", "1"},
                                {"command_line", "mpirun -np 2 gorgon_mpi --op synthetic --runs 1x1,2x1,2x2"},
                                {"hosts", "node1, node2"}};

    testing::SyntheticSource suite("suite.h5", testing::scaling_suite(20000), file_meta);
    auto slower_runs = testing::scaling_suite(20000);
    for (auto& r : slower_runs) r.base_ns = 1'300'000;
    testing::SyntheticSource slower("baseline.h5", slower_runs, file_meta);
    ReportData data = with_series(suite);
    const ReportData base = build_report(slower, BuildOptions{});
    data.baseline = compare(*data.suite, *base.suite);
    data.baseline->current_name = "suite.h5 (3 runs merged)";
    data.baseline->baseline_name = "baseline.h5 (3 runs merged)";
    write(dir + "/suite.html", data, chartjs);
    // broken.html: the suite with one chart of an unknown kind, so the check can show that it
    // sees a failing chart (the page must report data-render="error").
    {
      std::ostringstream page;
      write_html_report(data, chartjs, page);
      std::string html = page.str();
      const std::string kind = "data-chart=\"scaling\"";
      html.replace(html.find(kind), kind.size(), "data-chart=\"no-such-chart\"");
      std::ofstream(dir + "/broken.html", std::ios::binary) << html;
    }

    auto hostile_runs = testing::scaling_suite(5000);
    for (auto& r : hostile_runs) {
      r.operation = kHostile;
      r.params = {{kHostile, kHostile}};
      r.labels = {"200", kHostile};
      r.subcalls = {kHostile};
      r.metadata = {{kHostile, kHostile}};
    }
    testing::SyntheticSource hostile(kHostile, hostile_runs, {{kHostile, kHostile}});
    ReportData hd = with_series(hostile);
    hd.baseline = compare(*hd.suite, hd.runs[0].summary);
    hd.baseline->current_name = kHostile;
    hd.baseline->baseline_name = kHostile;
    write(dir + "/hostile.html", hd, chartjs);

    testing::SyntheticRun one;
    one.raw_calls = false;
    one.labels = {"ok"};
    one.subcalls = {};
    one.ranks = 1;
    one.threads = 1;
    testing::SyntheticSource single("single.h5", {one});
    write(dir + "/single.html", with_series(single), chartjs);
  } catch (const std::exception& e) {
    std::cerr << "report_html_fixture: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
