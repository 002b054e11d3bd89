#pragma once
// Errors agreed by every rank before the next collective step, so that one rank's failure
// never leaves the others waiting in a collective they will never complete.
#include <mpi.h>

#include <exception>
#include <stdexcept>
#include <string>

#include "gorgon/base/error.hpp"

namespace gorgon {

/// True on every rank of `comm` when `failed` is true on any rank. Collective.
bool any_rank(MPI_Comm comm, bool failed);

/// An error every rank agreed on.
struct SharedError {
  bool failed = false;
  bool config = false;  ///< a ConfigError (bad input: exit status 2)
  std::string message;
};

/// Makes every rank agree on an error: if any rank has one, every rank gets the message of
/// the lowest failing rank. Collective.
SharedError agree_on_error(MPI_Comm comm, const SharedError& local);

/// Runs `body`, catching what it throws as this rank's error, then agrees with every rank of
/// `comm` (collective) and rethrows the agreed error on every rank: ConfigError for bad
/// input, std::runtime_error otherwise.
template <typename F>
void all_or_none(MPI_Comm comm, F&& body) {
  SharedError mine;
  try {
    body();
  } catch (const ConfigError& e) {
    mine = {true, true, e.what()};
  } catch (const std::exception& e) {
    mine = {true, false, e.what()};
  }
  const SharedError agreed = agree_on_error(comm, mine);
  if (!agreed.failed) return;
  if (agreed.config) throw ConfigError(agreed.message);
  throw std::runtime_error(agreed.message);
}

}  // namespace gorgon
