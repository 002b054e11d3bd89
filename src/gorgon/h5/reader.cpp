#include "gorgon/h5/reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "gorgon/h5/format.hpp"
#include "gorgon/h5/hid.hpp"
#include "gorgon/h5/io.hpp"
#include "gorgon/h5/probe.hpp"
#include "gorgon/h5/summary_io.hpp"
#include "gorgon/op/label_rule.hpp"

namespace gorgon::h5 {
namespace f = format;
using namespace detail;

namespace {

/// The --fail-if limits of a run (none in files written before they were recorded).
void read_limits(hid_t run, std::vector<LimitResult>& out) {
  if (!has_attr(run, f::kAttrLimits)) return;
  const auto text = read_strings_attr(run, f::kAttrLimits);
  const auto measured = read_strings_attr(run, f::kAttrLimitsMeasured);
  const auto passed = read_array_attr<std::int32_t>(run, f::kAttrLimitsPassed);
  if (measured.size() != text.size() || passed.size() != text.size())
    throw FileError("its limits attributes differ in length");
  for (std::size_t i = 0; i < text.size(); ++i)
    out.push_back({text[i], measured[i], passed[i] != 0});
}

std::string optional_string(hid_t obj, const char* name) {
  return has_attr(obj, name) ? read_string_attr(obj, name) : std::string();
}

bool starts_with_hdf5_signature(const std::string& path) {
  static const char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, 8) && std::memcmp(head, kSignature, 8) == 0;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

/// Run group names ("000", "001", ...) in index order; other names are not runs.
std::vector<std::string> run_names(hid_t runs) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  check(H5Literate(runs, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &names),
        "cannot list the runs");
  std::erase_if(names, [](const std::string& n) {
    return n.empty() ||
           !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return names;
}

void read_rows(hid_t dset, hid_t mem_type, hsize_t first, hsize_t count, void* buf) {
  Hid file_space = check_id(H5Dget_space(dset), "H5Dget_space");
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr),
        "H5Sselect_hyperslab");
  Hid mem_space = check_id(H5Screate_simple(1, &count, nullptr), "H5Screate_simple");
  check(H5Dread(dset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, buf),
        "cannot read rows");
}

/// The open datasets of a group of equal-length columns, each checked (open_checked).
struct Columns {
  std::vector<Hid> sets;
  hsize_t rows = 0;
  Columns(hid_t group, std::initializer_list<const char*> names, const char* what) {
    bool first = true;
    for (const char* name : names) {
      CheckedDataset d = open_checked(group, name, Holds::numbers);
      if (!first && d.dims[0] != rows)
        throw FileError(std::string("the ") + what + " columns differ in length");
      rows = d.dims[0];
      first = false;
      sets.push_back(std::move(d.id));
    }
  }
};

/// What the ids in a run's raw columns may be: labels and sub-call names index their
/// tables, ranks and threads count from 0.
struct IdBounds {
  std::uint64_t labels = 0, names = 0, ranks = 0, threads = 0;
};

/// FileError naming the first value of `ids` at or past `bound`.
template <typename T>
void check_ids(std::span<const T> ids, std::uint64_t bound, std::uint64_t first_row,
               const char* column) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= bound)
      throw FileError(std::string(column) + " row " + std::to_string(first_row + i) + " is " +
                      std::to_string(ids[i]) + ", past the run's " + std::to_string(bound));
}

/// The run's ranks and threads attributes, checked against what the file can describe:
/// ranks of the world that wrote it, threads that fit calls/thread.
void check_team(const RunSummary& s, int world_size) {
  if (s.ranks < 1 || s.ranks > world_size)
    throw FileError("its run says it ran on " + std::to_string(s.ranks) + " ranks of a world of " +
                    std::to_string(world_size));
  if (s.threads < 1 || s.threads > 65536)
    throw FileError("its run says it ran " + std::to_string(s.threads) + " threads per rank");
}

/// The balance tables against the run's ranks and threads: one row per rank, each rank once,
/// thread rows naming ranks and threads of the run.
void check_balance(const RunSummary& s) {
  const auto ranks = static_cast<std::size_t>(s.ranks);
  if (s.rank_balance.size() != ranks)
    throw FileError("its balance has " + std::to_string(s.rank_balance.size()) + " rank rows for " +
                    std::to_string(ranks) + " ranks");
  std::vector<bool> seen(ranks, false);
  for (const auto& r : s.rank_balance) {
    if (r.rank < 0 || r.rank >= s.ranks || seen[static_cast<std::size_t>(r.rank)])
      throw FileError("balance/ranks/rank holds " + std::to_string(r.rank) + ", not each of 0.." +
                      std::to_string(s.ranks - 1) + " once");
    seen[static_cast<std::size_t>(r.rank)] = true;
  }
  if (s.thread_balance.size() > ranks * static_cast<std::size_t>(s.threads))
    throw FileError("its balance has more thread rows than the run had threads");
  for (const auto& t : s.thread_balance)
    if (t.rank < 0 || t.rank >= s.ranks || t.thread < 0 || t.thread >= s.threads)
      throw FileError("balance/threads names rank " + std::to_string(t.rank) + " thread " +
                      std::to_string(t.thread) + ", not one of the run's");
}

/// Sub-calls the summary counts (every label's), or UINT64_MAX when the sum overflows.
std::uint64_t subcall_count(const RunSummary& s) {
  std::uint64_t n = 0;
  for (const auto& l : s.labels)
    for (const auto& sub : l.subcalls)
      if (__builtin_add_overflow(n, sub.stats.count, &n)) return UINT64_MAX;
  return n;
}

/// A string table of the run: offsets + bytes from format 2, fixed width before.
std::vector<std::string> read_names(hid_t run, const char* name, int format_version) {
  return format_version >= f::kFirstPooledVersion ? read_string_pool(run, name)
                                                  : read_string_table(run, name);
}

}  // namespace

std::int64_t RunInfo::aligned_start_ns(std::uint32_t rank, std::uint64_t start) const {
  const std::int64_t offset =
      rank < summary.rank_balance.size() ? summary.rank_balance[rank].clock_offset_ns : 0;
  return static_cast<std::int64_t>(start - start_ns) - offset;
}

struct Reader::Impl {
  std::string path;
  Hid file, runs;
  FileInfo info;
  std::vector<std::string> run_names;

  [[noreturn]] void fail(const std::string& why) const {
    throw FileError("cannot read '" + path + "': " + why);
  }
  template <typename F>
  auto guarded(F&& body) const {
    try {
      return body();
    } catch (const FileError& e) {
      fail(e.what());
    }
  }
  Hid run_group(std::size_t index) const {
    if (index >= run_names.size())
      fail("it has no run " + std::to_string(index) + " (it holds " +
           std::to_string(run_names.size()) + ")");
    return open_group(runs.get(), run_names[index]);
  }
  Columns call_columns(hid_t run) const {
    Hid group = open_group(run, f::kCalls);
    return Columns(group.get(),
                   {f::kNumber, f::kStartNs, f::kDurationNs, f::kLabel, f::kRank, f::kThread},
                   f::kCalls);
  }
  Columns subcall_columns(hid_t run) const {
    Hid group = open_group(run, f::kSubcalls);
    return Columns(group.get(), {f::kCallNumber, f::kName, f::kStartNs, f::kDurationNs},
                   f::kSubcalls);
  }
  /// The bounds of the run's ids, from its attributes and string tables (checked).
  IdBounds id_bounds(hid_t run) const {
    IdBounds b;
    RunSummary s;  // its ranks and threads, read as run() reads them
    RunSummary::fields(s, [&](const char* name, auto& value) {
      if constexpr (std::is_same_v<std::decay_t<decltype(value)>, int>)
        if (std::strcmp(name, "ranks") == 0 || std::strcmp(name, "threads") == 0)
          read_field(run, name, value);
    });
    check_team(s, info.world_size);
    b.ranks = static_cast<std::uint64_t>(s.ranks);
    b.threads = static_cast<std::uint64_t>(s.threads);
    b.labels = read_names(run, f::kLabels, info.format_version).size();
    b.names = read_names(run, f::kSubcallNames, info.format_version).size();
    return b;
  }
};

Reader::Reader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  silence_hdf5_errors();
  Impl& m = *impl_;
  m.path = path;
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) m.fail("no such file");
  if (std::filesystem::is_directory(st)) m.fail("it is a directory");
  if (::access(path.c_str(), R_OK) != 0) m.fail(std::strerror(errno));
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    hdf5_error_message();  // clear the stack
    m.fail(starts_with_hdf5_signature(path) ? "the HDF5 file is damaged or truncated"
                                            : "not an HDF5 file");
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) m.fail("the HDF5 file is damaged or truncated (HDF5: " + hdf5_error_message() + ")");
  m.file = Hid(id);
  m.guarded([&] {
    const hid_t root = m.file.get();
    FileInfo& i = m.info;
    if (!has_attr(root, f::kAttrFormat))
      throw FileError("not a gorgon-mpi file (an HDF5 file without a 'format' attribute)");
    // Before format 2, string attributes were in the global heap: read them in a child first.
    if (!in_probe_child() && (!has_attr(root, f::kAttrFormatVersion) ||
                              read_attr<int>(root, f::kAttrFormatVersion) < f::kFirstPooledVersion))
      probe_attributes(root, [&] {  // what a report reads: the file, then every run
        const Reader again(path);
        for (std::size_t r = 0; r < again.run_count(); ++r) (void)again.run(r);
      });
    i.format = read_string_attr(root, f::kAttrFormat);
    if (i.format != f::kFormatName)
      throw FileError("not a gorgon-mpi file (its format is '" + i.format + "')");
    i.format_version = read_attr<int>(root, f::kAttrFormatVersion);
    i.tool_version = optional_string(root, f::kAttrToolVersion);
    if (i.format_version > f::kFormatVersion)
      throw FileError("written in format_version " + std::to_string(i.format_version) +
                      " by a newer gorgon_mpi (" + i.tool_version +
                      "); this build reads format_version " + std::to_string(f::kFormatVersion) +
                      " and older");
    if (i.format_version < 1)
      throw FileError("unknown format_version " + std::to_string(i.format_version));
    i.git_revision = optional_string(root, f::kAttrGitRevision);
    i.command_line = optional_string(root, f::kAttrCommandLine);
    i.mpi_library = optional_string(root, f::kAttrMpiLibrary);
    i.world_size = read_attr<int>(root, f::kAttrWorldSize);
    if (i.world_size < 1) throw FileError("its mpi_world_size is " + std::to_string(i.world_size));
    i.hosts = read_strings_attr(root, f::kAttrHosts);
    i.omp_max_threads = read_attr<int>(root, f::kAttrOmpMaxThreads);
    i.omp_proc_bind = optional_string(root, f::kAttrOmpProcBind);
    i.omp_places = optional_string(root, f::kAttrOmpPlaces);
    i.slurm_job_id = optional_string(root, f::kAttrSlurmJobId);
    i.slurm_job_nodelist = optional_string(root, f::kAttrSlurmNodeList);
    i.start_utc = optional_string(root, f::kAttrStartUtc);
    i.attributes = attributes_as_text(root);
    m.runs = open_group(root, f::kRuns);
    m.run_names = run_names(m.runs.get());
  });
}

Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

const std::string& Reader::path() const noexcept { return impl_->path; }
const FileInfo& Reader::info() const noexcept { return impl_->info; }
std::size_t Reader::run_count() const noexcept { return impl_->run_names.size(); }

RunInfo Reader::run(std::size_t index) const {
  return impl_->guarded([&] {
    Hid g = impl_->run_group(index);
    const hid_t run = g.get();
    RunInfo r;
    r.index = index;
    r.path = std::string("/") + f::kRuns + "/" + impl_->run_names[index];
    RunSummary& s = r.summary;
    RunSummary::fields(s, [&](const char* name, auto& value) {
      if (has_attr(run, name)) read_field(run, name, value);
      else if (!f::optional_attribute(name))
        throw FileError(std::string("its run ") + impl_->run_names[index] + " has no attribute '" +
                        name + "'");
    });
    s.runs = 1;
    r.mode = std::string(name_of(s.mode));
    r.status = std::string(name_of(s.status));
    read_limits(run, s.limits);
    r.start_ns = read_attr<std::uint64_t>(run, f::kAttrStartNs);
    Hid params = open_group(run, f::kParams);
    for (auto& [key, value] : attributes_as_text(params.get())) s.params.emplace_back(key, value);
    if (!has_attr(run, "params_given"))  // version 1: every parameter is shown
      for (const auto& p : s.params) s.params_given.push_back(p.first);
    check_team(s, impl_->info.world_size);
    const int version = impl_->info.format_version;
    r.labels = read_names(run, f::kLabels, version);
    r.subcall_names = read_names(run, f::kSubcallNames, version);

    Hid summary = open_group(run, f::kSummary);
    if (read_attr<int>(summary.get(), f::kAttrHistSubBits) != Histogram::kSubBits ||
        read_attr<int>(summary.get(), f::kAttrHistMaxExponent) != Histogram::kMaxExponent)
      throw FileError("its histograms use another bucket layout than this build's");
    Hid ranks = open_group(run, "balance/ranks");
    Hid threads = open_group(run, "balance/threads");
    SummaryTables t;
    for_each_column(t, [&](const char* group, const char* name, auto& column, std::size_t cols) {
      using T = typename std::decay_t<decltype(column)>::value_type;
      const hid_t where = std::strcmp(group, f::kSummary) == 0       ? summary.get()
                          : std::strcmp(group, "balance/ranks") == 0 ? ranks.get()
                                                                     : threads.get();
      if (std::strcmp(name, f::kSumError) == 0 && !has_link(where, name)) return;  // version 1
      if (std::strcmp(name, f::kBalStonewallCalls) == 0 && !has_link(where, name)) return;
      column = read_table<T>(where, name, cols);
    });
    if (t.error.empty()) {  // version 1: only calls that threw were errors
      for (std::uint32_t l : t.label)
        t.error.push_back(l < r.labels.size() && LabelRule().is_error(r.labels[l]) ? 1 : 0);
    }
    fill_summary(t, r.labels, r.subcall_names, s);
    check_balance(s);
    // A run's rank r is world rank r (a run takes the first ranks of the world): its node
    // is hosts[r]. A hosts attribute shorter than that leaves the host unknown ("").
    for (auto& rank : s.rank_balance)
      if (static_cast<std::size_t>(rank.rank) < impl_->info.hosts.size())
        rank.host = impl_->info.hosts[static_cast<std::size_t>(rank.rank)];
    r.rank_start_ns = t.rank_start_ns;
    r.calls = impl_->call_columns(run).rows;
    r.subcalls = impl_->subcall_columns(run).rows;
    if (r.calls != s.total.count)
      throw FileError("its calls/ columns have " + std::to_string(r.calls) +
                      " rows but its summary counts " + std::to_string(s.total.count) + " calls");
    if (r.subcalls != subcall_count(s))
      throw FileError("its subcalls/ columns have " + std::to_string(r.subcalls) +
                      " rows but its summary counts another number of sub-calls");
    r.attributes = attributes_as_text(run);
    return r;
  });
}

void Reader::for_each_call_block(std::size_t index, const std::function<void(const CallRows&)>& fn,
                                 std::size_t block_rows) const {
  if (block_rows == 0) block_rows = kDefaultBlockRows;
  impl_->guarded([&] {
    Hid g = impl_->run_group(index);
    const IdBounds bounds = impl_->id_bounds(g.get());
    Columns c = impl_->call_columns(g.get());
    const auto cap = static_cast<std::size_t>(std::min<hsize_t>(block_rows, c.rows));
    std::vector<std::uint64_t> number(cap), start(cap), duration(cap);
    std::vector<std::uint32_t> label(cap), rank(cap);
    std::vector<std::uint16_t> thread(cap);
    for (hsize_t first = 0; first < c.rows; first += cap) {
      const auto n = static_cast<std::size_t>(std::min<hsize_t>(cap, c.rows - first));
      read_rows(c.sets[0].get(), H5T_NATIVE_UINT64, first, n, number.data());
      read_rows(c.sets[1].get(), H5T_NATIVE_UINT64, first, n, start.data());
      read_rows(c.sets[2].get(), H5T_NATIVE_UINT64, first, n, duration.data());
      read_rows(c.sets[3].get(), H5T_NATIVE_UINT32, first, n, label.data());
      read_rows(c.sets[4].get(), H5T_NATIVE_UINT32, first, n, rank.data());
      read_rows(c.sets[5].get(), H5T_NATIVE_UINT16, first, n, thread.data());
      check_ids<std::uint32_t>({label.data(), n}, bounds.labels, first, "calls/label");
      check_ids<std::uint32_t>({rank.data(), n}, bounds.ranks, first, "calls/rank");
      check_ids<std::uint16_t>({thread.data(), n}, bounds.threads, first, "calls/thread");
      CallRows rows;
      rows.first_row = first;
      rows.number = {number.data(), n};
      rows.start_ns = {start.data(), n};
      rows.duration_ns = {duration.data(), n};
      rows.label = {label.data(), n};
      rows.rank = {rank.data(), n};
      rows.thread = {thread.data(), n};
      fn(rows);
    }
  });
}

void Reader::for_each_subcall_block(std::size_t index,
                                    const std::function<void(const SubCallRows&)>& fn,
                                    std::size_t block_rows) const {
  if (block_rows == 0) block_rows = kDefaultBlockRows;
  impl_->guarded([&] {
    Hid g = impl_->run_group(index);
    const IdBounds bounds = impl_->id_bounds(g.get());
    Columns c = impl_->subcall_columns(g.get());
    const auto cap = static_cast<std::size_t>(std::min<hsize_t>(block_rows, c.rows));
    std::vector<std::uint64_t> number(cap), start(cap), duration(cap);
    std::vector<std::uint32_t> name(cap);
    for (hsize_t first = 0; first < c.rows; first += cap) {
      const auto n = static_cast<std::size_t>(std::min<hsize_t>(cap, c.rows - first));
      read_rows(c.sets[0].get(), H5T_NATIVE_UINT64, first, n, number.data());
      read_rows(c.sets[1].get(), H5T_NATIVE_UINT32, first, n, name.data());
      read_rows(c.sets[2].get(), H5T_NATIVE_UINT64, first, n, start.data());
      read_rows(c.sets[3].get(), H5T_NATIVE_UINT64, first, n, duration.data());
      check_ids<std::uint32_t>({name.data(), n}, bounds.names, first, "subcalls/name");
      SubCallRows rows;
      rows.first_row = first;
      rows.call_number = {number.data(), n};
      rows.name = {name.data(), n};
      rows.start_ns = {start.data(), n};
      rows.duration_ns = {duration.data(), n};
      fn(rows);
    }
  });
}

}  // namespace gorgon::h5
