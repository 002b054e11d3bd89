// Writes HTML reports of synthetic results for the Chromium render test:
//   report_html_fixture OUT_DIR [CHARTJS]
// suite.html: a three-run scaling suite with sub-calls, error labels (one of them two calls
//   of one duration: a small, narrow histogram), threshold results, a baseline comparison,
//   and its 2-rank runs on two nodes (the per-node table and chart);
// hostile.html: every string from the "file" is </script><img src=x onerror=alert(1)>;
// single.html: one run with no raw calls (no time series) and one label;
// errors.html: a run in which every call failed, one of 16 labels, 14 of them errors
//   (19 distributions: more error lines than the palette has reds), and one of six calls;
// broken.html: suite.html made wrong in every way the check looks for: a chart that cannot
//   be drawn, a block wider than the page, histogram ticks at fractions of a call, x labels
//   taken away, one colour for every line and a node chart short of a host (the check must
//   notice each).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "chartjs.hpp"
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

/// The scaling suite with error labels, a rare exception and threshold results.
std::vector<testing::SyntheticRun> suite_runs() {
  auto runs = testing::scaling_suite(20000);
  for (auto& r : runs) {
    r.labels.push_back("exception:timeout");
    r.rare_every = 7000;  // calls 7000 and 14000: two calls
    r.rare_ns = 5'200'000;
    r.error_labels = {"500", "timeout", "exception:timeout"};
    r.limits = {{"p99<50ms", "8.32ms", true}, {"errors<1%", "12.5%", false}};
    r.hosts = {"node1", "node2"};  // the 2-rank runs span two nodes
  }
  return runs;
}

/// Every way broken.html is wrong besides its undrawable chart, done after the page's own
/// script has drawn it.
constexpr const char* kSabotage = R"JS(<script>
document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
  var chart = Chart.getChart(canvas);
  if (!chart) return;
  if (canvas.dataset.chart === 'histogram')
    chart.options.scales.x.ticks.callback = function () { return ''; };
  if (chart.options.scales.y) chart.options.scales.y.ticks.precision = undefined;
  if (canvas.dataset.chart === 'nodes') chart.data.datasets.pop();
  chart.data.datasets.forEach(function (d) { d.borderColor = '#2f6fdb'; });
  chart.update();
});
</script>
)JS";

/// `html` with `what` replaced by `with` (which must be there).
void replace_once(std::string& html, const std::string& what, const std::string& with) {
  const auto at = html.find(what);
  if (at == std::string::npos) throw std::runtime_error("the page has no '" + what + "'");
  html.replace(at, what.size(), with);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: report_html_fixture OUT_DIR [CHARTJS]\n";
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const std::string chartjs = argc > 2 ? load_chartjs(argv[2]) : std::string(builtin_chartjs());
    const Metadata file_meta = {
        {"format", "gorgon-mpi"},
        {"format_version", "1"},
        {"command_line", "mpirun -np 2 gorgon_mpi --op synthetic --runs 1x1,2x1,2x2"},
        {"hosts", "node1, node2"}};

    testing::SyntheticSource suite("suite.h5", suite_runs(), file_meta);
    auto slower_runs = suite_runs();
    for (auto& r : slower_runs) r.base_ns = 1'300'000;
    testing::SyntheticSource slower("baseline.h5", slower_runs, file_meta);
    ReportData data = with_series(suite);
    const ReportData base = build_report(slower, BuildOptions{});
    data.baseline = compare(*data.suite, *base.suite);
    data.baseline->current_name = "suite.h5 (3 runs merged)";
    data.baseline->baseline_name = "baseline.h5 (3 runs merged)";
    write(dir + "/suite.html", data, chartjs);
    {
      std::ostringstream page;
      write_html_report(data, chartjs, page);
      std::string html = page.str();
      replace_once(html, "data-chart=\"scaling\"", "data-chart=\"no-such-chart\"");
      replace_once(html, "<main>\n", "<main>\n<div style=\"width:1800px;height:4px\"></div>\n");
      replace_once(html, "</body>", std::string(kSabotage) + "</body>");
      std::ofstream(dir + "/broken.html", std::ios::binary) << html;
    }

    auto hostile_runs = testing::scaling_suite(5000);
    for (auto& r : hostile_runs) {
      r.operation = kHostile;
      r.params = {{kHostile, kHostile}};
      r.labels = {"200", kHostile};
      r.error_labels = {kHostile};
      r.limits = {{kHostile, kHostile, false}};
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

    testing::SyntheticRun refused;
    refused.ops = 3000;
    refused.labels = {"COULDNT_CONNECT"};
    refused.error_labels = refused.labels;
    refused.subcalls = {"name lookup", "connect"};
    refused.limits = {{"errors<1%", "100%", false}, {"p99<50ms", "2.11ms", true}};
    testing::SyntheticRun many;
    many.ops = 8000;
    many.labels = {"200", "301", "400", "401", "403", "404", "405", "408",
                   "409", "410", "429", "500", "502", "503", "504", "COULDNT_CONNECT"};
    many.error_labels.assign(many.labels.begin() + 2, many.labels.end());  // 14 error lines
    testing::SyntheticRun tiny;  // three calls per rank: whole-number ticks or duplicates
    tiny.ops = 6;
    tiny.threads = 1;
    testing::SyntheticSource errors("errors.h5", {refused, many, tiny}, file_meta);
    write(dir + "/errors.html", with_series(errors), chartjs);
  } catch (const std::exception& e) {
    std::cerr << "report_html_fixture: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
