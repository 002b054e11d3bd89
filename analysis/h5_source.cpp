#include "h5_source.hpp"

#include <map>

#include "gorgon/h5/reader.hpp"

namespace gorgon::analysis {
namespace {

/// Rows per block streamed from the file: 256 Ki rows, about 8.5 MiB of columns.
constexpr std::size_t kBlockRows = std::size_t{1} << 18;

/// Runs `f`, turning the reader's FileError into the report's InputError.
template <typename F>
auto reading(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const FileError& e) {
    throw InputError(e.what());
  }
}

class H5Source final : public ReportSource {
 public:
  explicit H5Source(const std::string& path)
      : path_(path), reader_(reading([&] { return h5::Reader(path); })) {}

  [[nodiscard]] std::string name() const override { return path_; }
  Metadata file_metadata() override { return reader_.info().attributes; }
  std::size_t run_count() override { return reader_.run_count(); }
  RunSummary summary(std::size_t run) override { return info(run).summary; }
  Metadata run_metadata(std::size_t run) override {
    const h5::RunInfo& r = info(run);
    Metadata m = r.attributes;
    for (const auto& [k, v] : r.summary.params) m.emplace_back("param " + k, v);
    m.emplace_back("call rows", std::to_string(r.calls));
    m.emplace_back("sub-call rows", std::to_string(r.subcalls));
    return m;
  }
  bool has_calls(std::size_t run) override { return info(run).calls > 0; }
  std::vector<std::string> labels(std::size_t run) override { return info(run).labels; }
  void stream_calls(std::size_t run, const std::function<void(const CallChunk&)>& sink) override {
    reading([&] {
      reader_.for_each_call_block(
          run,
          [&](const h5::CallRows& rows) {
            sink(CallChunk{rows.start_ns, rows.duration_ns, rows.label, rows.rank});
          },
          kBlockRows);
    });
  }
  // Calls are on each rank's own clock; the run starts at rank 0's start_ns.
  std::int64_t time_origin_ns(std::size_t run) override {
    return static_cast<std::int64_t>(info(run).start_ns);
  }
  bool times_are_rank_local(std::size_t) override { return true; }

 private:
  const h5::RunInfo& info(std::size_t run) {
    auto it = runs_.find(run);
    if (it == runs_.end()) it = runs_.emplace(run, reading([&] { return reader_.run(run); })).first;
    return it->second;
  }

  std::string path_;
  h5::Reader reader_;
  std::map<std::size_t, h5::RunInfo> runs_;  // metadata and summaries: small
};

}  // namespace

std::unique_ptr<ReportSource> open_results_file(const std::string& path) {
  return std::make_unique<H5Source>(path);
}

}  // namespace gorgon::analysis
