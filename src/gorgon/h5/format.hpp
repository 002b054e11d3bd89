#pragma once
// The gorgon-mpi HDF5 file format, version 2, in one place: every group, dataset and
// attribute name the writer and the reader use. docs/hdf5-format.md is its specification;
// change both together, and bump kFormatVersion on any change an older reader would
// misread. The reader reads every version up to kFormatVersion.
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

namespace gorgon::h5::format {

inline constexpr const char* kFormatName = "gorgon-mpi";
inline constexpr int kFormatVersion = 2;
/// Format 2 stores string tables as offsets + bytes and string attributes at fixed length;
/// format 1 had fixed-width label datasets and variable-length string attributes.
inline constexpr int kFirstPooledVersion = 2;

// ---- root attributes -------------------------------------------------------------------
inline constexpr const char* kAttrFormat = "format";
inline constexpr const char* kAttrFormatVersion = "format_version";
inline constexpr const char* kAttrToolVersion = "tool_version";
inline constexpr const char* kAttrGitRevision = "git_revision";
inline constexpr const char* kAttrCommandLine = "command_line";
inline constexpr const char* kAttrMpiLibrary = "mpi_library";
inline constexpr const char* kAttrWorldSize = "mpi_world_size";
inline constexpr const char* kAttrHosts = "hosts";
inline constexpr const char* kAttrOmpMaxThreads = "omp_max_threads";
inline constexpr const char* kAttrOmpProcBind = "omp_proc_bind";
inline constexpr const char* kAttrOmpPlaces = "omp_places";
inline constexpr const char* kAttrSlurmJobId = "slurm_job_id";           // only under Slurm
inline constexpr const char* kAttrSlurmNodeList = "slurm_job_nodelist";  // only under Slurm
inline constexpr const char* kAttrStartUtc = "start_utc";
inline constexpr const char* kAttrHdf5Library = "hdf5_library";

// ---- /runs/NNN ---------------------------------------------------------------------------
inline constexpr const char* kRuns = "runs";
/// "000", "001", ... (at least three digits; more past 999 runs).
inline std::string run_name(std::size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03zu", index);
  return buf;
}

inline constexpr const char* kAttrIndex = "index";
// The run's scalar attributes (operation, ops, seed, ranks, threads, mode, status, wall_ns,
// stop_reason, duration_ns, rate, late_calls, warmup_calls, ...) are named by
// RunSummary::fields (stats/summary.hpp), the one list the writer, the reader and the JSON
// share.
inline constexpr const char* kAttrStartNs = "start_ns";
// --fail-if limits checked against the run, one entry each: as written, what was measured,
// and 1 when it passed (arrays of one length; empty without limits).
inline constexpr const char* kAttrLimits = "limits";
inline constexpr const char* kAttrLimitsMeasured = "limits_measured";
inline constexpr const char* kAttrLimitsPassed = "limits_passed";
inline constexpr const char* kAttrClock = "clock";
/// Run attributes (RunSummary::fields) that older files may lack: they came after the first
/// files of format version 1 (stop_reason .. params_given) or of version 2 (schedule ..
/// stonewall_reached; such files were written with the static schedule and no stonewall;
/// record_budget_bytes .. record_wait_ns, from the record stream). A reader takes their
/// defaults when they are missing.
inline bool optional_attribute(std::string_view name) {
  for (std::string_view n :
       {"stop_reason", "duration_ns", "late_calls", "warmup_calls", "rate", "error_rule",
        "params_given", "schedule", "stonewall_ns", "wear_out", "stonewall_reached",
        "record_budget_bytes", "record_peak_bytes", "record_waits", "record_wait_ns"})
    if (n == name) return true;
  return false;
}
inline constexpr const char* kClockName = "CLOCK_MONOTONIC";

inline constexpr const char* kParams = "params";  // group: one string attribute per parameter

// String tables. Format 2: a group of kPoolOffsets and kPoolBytes (write_string_pool);
// format 1: a dataset of fixed-length strings as wide as the longest.
inline constexpr const char* kLabels = "labels";
inline constexpr const char* kSubcallNames = "subcall_names";
inline constexpr const char* kPoolOffsets = "offsets";  // uint64 [strings + 1], from 0
inline constexpr const char* kPoolBytes = "bytes";      // uint8: string i is [o[i], o[i+1])

// ---- /runs/NNN/calls and /runs/NNN/subcalls: raw columns ----------------------------------
inline constexpr const char* kCalls = "calls";
inline constexpr const char* kNumber = "number";           // uint64
inline constexpr const char* kStartNs = "start_ns";        // uint64, the rank's own clock
inline constexpr const char* kDurationNs = "duration_ns";  // uint64
inline constexpr const char* kLabel = "label";             // uint32, index into labels
inline constexpr const char* kRank = "rank";               // uint32, rank in the run
inline constexpr const char* kThread = "thread";           // uint16

// Rate mode only: how late each call actually started against its schedule (its start_ns is
// the intended start and its duration counts from there).
inline constexpr const char* kStartDelayNs = "start_delay_ns";  // uint64

// Warm-up calls, when the run had any: /runs/NNN/warmup holds labels, subcall_names, calls/
// and subcalls/ laid out as the run's own; they are in no summary or statistic.
inline constexpr const char* kWarmup = "warmup";

inline constexpr const char* kSubcalls = "subcalls";
inline constexpr const char* kCallNumber = "call_number";  // uint64
inline constexpr const char* kName = "name";               // uint32, index into subcall_names
// start_ns and duration_ns as in calls

// ---- /runs/NNN/summary: the reduced statistics, one row per line of the text report -------
inline constexpr const char* kSummary = "summary";
inline constexpr const char* kSumLabel = "label";                       // uint32 or kNone
inline constexpr const char* kSumSubcallName = "subcall_name";          // uint32 or kNone
inline constexpr const char* kSumCount = "count";                       // uint64
inline constexpr const char* kSumSumNs = "sum_ns";                      // uint64
inline constexpr const char* kSumMinNs = "min_ns";                      // uint64
inline constexpr const char* kSumMaxNs = "max_ns";                      // uint64
inline constexpr const char* kSumM2 = "m2";                             // float64, ns^2
inline constexpr const char* kSumMeanNs = "mean_ns";                    // float64
inline constexpr const char* kSumStddevNs = "stddev_ns";                // float64
inline constexpr const char* kSumCallsPerS = "calls_per_s";             // float64
inline constexpr const char* kSumPercentilesNs = "percentiles_ns";      // uint64 [rows, P]
inline constexpr const char* kAttrPercentiles = "percentiles";          // float64 [P]
inline constexpr const char* kSumHistFirst = "histogram_first_bucket";  // uint32
inline constexpr const char* kSumHistOffset = "histogram_offset";       // uint64 [rows + 1]
inline constexpr const char* kSumHistCounts = "histogram_counts";       // uint64
inline constexpr const char* kSumError = "error";                       // uint8: 1 for failures
inline constexpr const char* kAttrHistSubBits = "histogram_sub_bits";
inline constexpr const char* kAttrHistMaxExponent = "histogram_max_exponent";
/// The label or sub-call name of a row that has none (row 0: every call).
inline constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// ---- /runs/NNN/balance/ranks and /runs/NNN/balance/threads --------------------------------
inline constexpr const char* kBalance = "balance";
inline constexpr const char* kBalRanks = "ranks";
inline constexpr const char* kBalThreads = "threads";
inline constexpr const char* kBalRank = "rank";                      // int32
inline constexpr const char* kBalThread = "thread";                  // int32
inline constexpr const char* kBalCalls = "calls";                    // uint64
inline constexpr const char* kBalBusyNs = "busy_ns";                 // uint64
inline constexpr const char* kBalWallNs = "wall_ns";                 // uint64
inline constexpr const char* kBalStartNs = "start_ns";               // uint64, own clock
inline constexpr const char* kBalClockOffsetNs = "clock_offset_ns";  // int64
inline constexpr const char* kBalClockRttNs = "clock_rtt_ns";        // uint64
// --stonewall: the rank's calls when it stopped at the stonewall (0 without one; files before
// the stonewall lack the column, and a reader takes zeros).
inline constexpr const char* kBalStonewallCalls = "stonewall_calls";  // uint64

}  // namespace gorgon::h5::format
