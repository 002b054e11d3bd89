#include "report_cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "chartjs.hpp"
#include "gorgon/base/error.hpp"
#include "gorgon/base/output_file.hpp"
#include "gorgon/report/reporter.hpp"
#include "html_report.hpp"
#include "text_output.hpp"

#ifndef GORGON_VERSION
#define GORGON_VERSION "unknown"
#endif

namespace gorgon::analysis {
namespace {

struct Options {
  std::string file;
  bool json = false;
  int run = 0;  // 1-based; 0: every run
  std::string html;
  std::string baseline;
  std::string chartjs;  // "": the built-in copy
  bool force = false;
};

void build_parser(CLI::App& app, Options& o) {
  app.description(
      "gorgon_report: reads a gorgon_mpi results file and prints the report the run printed, "
      "its summary as JSON, or writes a self-contained HTML report with charts.");
  app.set_version_flag("--version", std::string("gorgon_report ") + GORGON_VERSION);
  app.add_option("file", o.file, "A gorgon_mpi results file (HDF5)")->required();
  app.add_flag("--json", o.json, "Print the summary as JSON (what gorgon_mpi --json writes)");
  app.add_option("--run", o.run, "Only run K (1-based) of a suite")
      ->check(CLI::Validator(
          [](std::string& v) {
            long long k = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), k);
            const bool ok = ec == std::errc() && end == v.data() + v.size() && k >= 1;
            return ok ? std::string() : "'" + v + "' is not a run number (runs count from 1)";
          },
          "K >= 1"));
  app.add_option("--html", o.html, "Write a self-contained HTML report to this file");
  app.add_flag("--force", o.force, "Let --html replace an existing file");
  app.add_option("--baseline", o.baseline,
                 "Compare with this results file: per label, calls/s and percentiles with the "
                 "change in percent");
  app.add_option("--chartjs", o.chartjs,
                 "Inline this Chart.js file in the HTML report instead of the built-in copy "
                 "(Chart.js " +
                     std::string(builtin_chartjs_version()) + ")");
}

/// The summary a comparison uses: the one run, or every run merged.
const RunSummary& compared(const ReportData& d) {
  return d.runs.size() == 1 ? d.runs.front().summary : *d.suite;
}

std::string compared_name(const ReportData& d) {
  if (d.runs.size() == 1)
    return fmt::format("{} (run {} of {})", d.source, d.first_run_index + 1, d.runs_in_file);
  return fmt::format("{} ({} runs merged)", d.source, d.runs.size());
}

/// Fails now, before any file is read, when the HTML could not be written at the end: the
/// rule of every gorgon output (an existing file needs --force; never a directory, an input
/// or a missing directory). Notes (stale temporaries removed) go to `err`.
void check_html_output(const Options& o, std::ostream& err) {
  try {
    std::vector<OutputName> inputs = {{"input", o.file}};
    if (!o.baseline.empty()) inputs.push_back({"--baseline", o.baseline});
    check_distinct({{"--html", o.html}}, inputs);
    for (const auto& note : check_output({"--html", o.html}, o.force))
      err << "gorgon_report: " << note << '\n';
  } catch (const ConfigError& e) {
    throw InputError(e.what());
  }
}

void write_html_file(const ReportData& data, const std::string& chartjs, const Options& o) {
  std::ostringstream page;
  write_html_report(data, chartjs, page);
  write_file_atomically(o.html, page.str(), o.force);
}

}  // namespace

int report_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                const SourceOpener& open) {
  Options o;
  CLI::App app;
  build_parser(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kReportOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help();
    return kReportOk;
  } catch (const CLI::CallForVersion&) {
    out << "gorgon_report " << GORGON_VERSION << "\n";
    return kReportOk;
  } catch (const CLI::ParseError& e) {
    err << "gorgon_report: error: " << e.what() << "\nRun with --help for the options.\n";
    return kReportBadInput;
  }

  try {
    std::string chartjs;
    if (o.force && o.html.empty())
      throw InputError("--force applies to --html only, which is not given");
    if (!o.html.empty()) {  // fail before the long part
      chartjs = o.chartjs.empty() ? std::string(builtin_chartjs()) : load_chartjs(o.chartjs);
      check_html_output(o, err);
    }

    BuildOptions build;
    if (o.run > 0) build.run = static_cast<std::size_t>(o.run - 1);
    build.time_series = !o.html.empty();
    ReportData data = build_report(*open(o.file), build);

    if (!o.baseline.empty()) {
      BuildOptions base_build;
      base_build.run = build.run;
      const ReportData base = build_report(*open(o.baseline), base_build);
      data.baseline = compare(compared(data), compared(base));
      data.baseline->current_name = compared_name(data);
      data.baseline->baseline_name = compared_name(base);
    }

    if (o.json) {
      out << json_text(json_report(data));
    } else {
      const std::string text = text_report(data);
      out << text;
      if (data.baseline) {
        if (!text.ends_with("\n\n")) out << '\n';  // one blank line before the comparison
        out << comparison_text(*data.baseline);
      }
    }
    out.flush();
    if (!o.html.empty()) {
      write_html_file(data, chartjs, o);
      err << "gorgon_report: HTML report written to " << o.html << '\n';
    }
  } catch (const InputError& e) {
    err << "gorgon_report: error: " << e.what() << '\n';
    return kReportBadInput;
  } catch (const std::exception& e) {
    err << "gorgon_report: error: " << e.what() << '\n';
    return kReportFailed;
  }
  return kReportOk;
}

}  // namespace gorgon::analysis
