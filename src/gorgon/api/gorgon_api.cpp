#include "gorgon/api/gorgon_api.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <cstdlib>
#include <exception>

#include "gorgon/op/registry.hpp"
#include "gorgon/reduce/reduce.hpp"
#include "gorgon/report/reporter.hpp"
#include "gorgon/run/runner.hpp"

namespace gorgon {

namespace detail {
namespace {
bool mpi_started_here = false;
void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (mpi_started_here && !finalized) MPI_Finalize();
}
}  // namespace

void ensure_mpi() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
  mpi_started_here = true;
  std::atexit(finalize_at_exit);
}
}  // namespace detail

WorldRun run_on_world(const RunSpec& spec, const OperationInfo& op, MPI_Comm world,
                      const RunControl& control) {
  int rank = 0;
  MPI_Comm_rank(world, &rank);
  MPI_Comm sub = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(world, rank < spec.ranks ? 0 : MPI_UNDEFINED, rank, &sub),
            "MPI_Comm_split");
  WorldRun result;
  all_or_none(world, [&] {
    if (sub == MPI_COMM_NULL) return;  // not in this run: wait for the others
    struct Free {
      MPI_Comm& c;
      ~Free() { MPI_Comm_free(&c); }
    } free_sub{sub};
    result.local = execute_run(spec, op, sub, control);
    result.calls = merge_dictionaries(sub, result.local->records);
    result.warmup = merge_dictionaries(sub, result.local->warmup);
    result.summary = reduce_run(*result.local, result.calls, sub);
  });
  return result;
}

namespace {
OperationInfo wrap(OperationFn fn, std::string name) {
  OperationInfo info;
  info.name = std::move(name);
  info.help = "an operation given to the library";
  info.make = [fn = std::move(fn)](const Params&) { return fn; };
  return info;
}
}  // namespace

Gorgon::Gorgon(OperationFn op, MPI_Comm comm) : Gorgon(std::move(op), "user", comm) {}

Gorgon::Gorgon(OperationFn op, std::string name, MPI_Comm comm)
    : op_(wrap(std::move(op), std::move(name))), comm_(comm) {
  detail::ensure_mpi();
  MPI_Comm_rank(comm_, &rank_);
}

Gorgon::Gorgon(const std::string& operation, const std::map<std::string, std::string>& params,
               MPI_Comm comm)
    : params_(params), comm_(comm) {
  detail::ensure_mpi();
  MPI_Comm_rank(comm_, &rank_);
  op_ = registry().find(operation);
}

Gorgon& Gorgon::go(std::uint64_t operations, int ranks, int threads, std::uint64_t seed) {
  int world = 1;
  MPI_Comm_size(comm_, &world);
  RunSpec spec;
  spec.operation = op_.name;
  spec.params = params_;
  spec.ops = operations;
  spec.ranks = ranks;  // 0: every rank of the communicator
  spec.threads = threads;
  spec.seed = seed;
  // The command line's own checks, on every rank, agreed before the run.
  all_or_none(comm_, [&] {
    try {
      validate(spec, world, op_);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("go(): ") + e.what());
    }
  });
  RunControl control;  // the rows go to disk while the run goes, for the file written after it
  if (output_) control.spill_path = output_->spill_path();
  WorldRun run = run_on_world(spec, op_, comm_, control);
  if (output_) output_->write_run(run);
  if (is_root()) runs_.push_back(std::move(run.summary));
  return *this;
}

Gorgon& Gorgon::output(const std::string& path, h5::WriterOptions options) {
  close_output();
  output_ = std::make_unique<h5::Writer>(path, comm_, std::move(options));
  return *this;
}

Gorgon& Gorgon::close_output() {
  if (output_) {
    auto file = std::move(output_);
    file->close();
  }
  return *this;
}

Gorgon::~Gorgon() {
  if (!output_ || std::uncaught_exceptions() > 0) return;  // the writer aborts itself
  try {
    output_->close();
  } catch (...) {  // a destructor must not throw: the temporary file is removed instead
  }
}

Gorgon::Gorgon(Gorgon&&) noexcept = default;
Gorgon& Gorgon::operator=(Gorgon&&) noexcept = default;

RunSummary Gorgon::suite() const { return merge_suite(runs_); }

std::string Gorgon::small_report() const {
  if (!is_root() || runs_.empty()) return "";
  std::string out;
  for (std::size_t i = 0; i < runs_.size(); ++i)
    out += run_title(runs_[i], i, runs_.size()) + gorgon::small_report(runs_[i]);
  if (runs_.size() > 1)
    out += "Suite of " + std::to_string(runs_.size()) + " runs\n" + gorgon::small_report(suite());
  return out;
}

std::string Gorgon::report() const {
  if (!is_root() || runs_.empty()) return "";
  std::string out;
  for (std::size_t i = 0; i < runs_.size(); ++i) out += run_report(runs_[i], i, runs_.size());
  return out + suite_report(runs_, suite());
}

}  // namespace gorgon
