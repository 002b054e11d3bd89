#pragma once
// The Context an operation receives with every call: who is calling, and named sub-calls.
#include <cstdint>
#include <string_view>

#include "gorgon/base/clock.hpp"
#include "gorgon/record/record.hpp"

namespace gorgon {

class Context;

/// A named sub-call, timed from construction to destruction (RAII). Get one from
/// Context::measurement(); it is recorded under the current call's number.
///
///     { auto t = g.measurement("http call 1"); fetch(); }   // recorded at scope end
class Measurement {
 public:
  Measurement(const Measurement&) = delete;
  Measurement& operator=(const Measurement&) = delete;
  Measurement(Measurement&& other) noexcept
      : record_(other.record_), call_(other.call_), name_(other.name_), start_(other.start_) {
    other.record_ = nullptr;
  }
  Measurement& operator=(Measurement&&) = delete;
  ~Measurement() { stop(); }

  /// Ends the sub-call now instead of at scope end. Further calls do nothing.
  void stop() noexcept {
    if (record_ == nullptr) return;
    const std::uint64_t end = now_ns();
    record_->subcalls.push(call_, name_, start_, end - start_);
    record_ = nullptr;
  }

 private:
  friend class Context;
  Measurement(ThreadRecord* record, std::uint64_t call, std::uint32_t name)
      : record_(record), call_(call), name_(name), start_(now_ns()) {}
  ThreadRecord* record_;
  std::uint64_t call_;
  std::uint32_t name_;
  std::uint64_t start_;
};

/// Handed to every call of an operation. Cheap to use; valid only during the call.
class Context {
 public:
  Context(ThreadRecord& record, int rank, int thread, int ranks, int threads) noexcept
      : record_(&record), rank_(rank), thread_(thread), ranks_(ranks), threads_(threads) {}

  /// Starts a named sub-call, timed until the returned object goes out of scope.
  [[nodiscard]] Measurement measurement(std::string_view name) {
    return Measurement(record_, number_, record_->subcall_names.intern(name));
  }

  /// Records a named sub-call of the current call that was timed by other means (a library's
  /// own timers, such as libcurl's phase times): it started at `start_ns` on the now_ns()
  /// clock and lasted `duration_ns`. Like a measurement, it must be recorded during the call,
  /// before the operation returns.
  ///
  ///     g.record("connect", t0 + lookup_ns, connect_ns - lookup_ns);
  void record(std::string_view name, std::uint64_t start_ns, std::uint64_t duration_ns) {
    record_->subcalls.push(number_, record_->subcall_names.intern(name), start_ns, duration_ns);
  }

  [[nodiscard]] int rank() const noexcept { return rank_; }                ///< rank in the run
  [[nodiscard]] int thread() const noexcept { return thread_; }            ///< OpenMP thread number
  [[nodiscard]] int ranks() const noexcept { return ranks_; }              ///< ranks in the run
  [[nodiscard]] int threads() const noexcept { return threads_; }          ///< threads per rank
  [[nodiscard]] std::uint64_t number() const noexcept { return number_; }  ///< this call's

  /// Used by the runner before each call.
  void set_number(std::uint64_t number) noexcept { number_ = number; }

 private:
  ThreadRecord* record_;
  int rank_, thread_, ranks_, threads_;
  std::uint64_t number_ = 0;
};

}  // namespace gorgon
