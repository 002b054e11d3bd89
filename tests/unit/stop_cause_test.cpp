// The first cause of a stop names it. Each test leaves the signal handlers and the stop
// state as it found them (StopHandlers), so the tests also pass run in one process
// (unit.stop_cause.in_one_process).
#include <gtest/gtest.h>

#include <csignal>

#include "gorgon/run/stop.hpp"

namespace {

TEST(StopCause, ASignalAfterADeadlineStopKeepsTheDeadlineAsCause) {
  const gorgon::StopHandlers handlers;
  gorgon::request_stop("time limit");
  std::raise(SIGUSR1);  // the first signal: taken, but the stop had begun already
  EXPECT_TRUE(gorgon::stop_requested());
  EXPECT_EQ(gorgon::stop_reason(), "time limit");
  EXPECT_EQ(gorgon::stop_code(), 1);
}

TEST(StopCause, ASignalFirstIsTheCause) {
  const gorgon::StopHandlers handlers;
  std::raise(SIGTERM);
  gorgon::request_stop("time limit");
  EXPECT_EQ(gorgon::stop_reason(), "SIGTERM");
  EXPECT_EQ(gorgon::stop_code(), SIGTERM);
  EXPECT_EQ(gorgon::stop_signal(), SIGTERM);
}

TEST(StopCause, TheHandlersFoundBeforeAreRestored) {
  struct sigaction before {};
  sigaction(SIGUSR1, nullptr, &before);
  {
    const gorgon::StopHandlers handlers;
    std::raise(SIGUSR1);
    EXPECT_TRUE(gorgon::stop_requested());
  }
  struct sigaction after {};
  sigaction(SIGUSR1, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_FALSE(gorgon::stop_requested());
  EXPECT_EQ(gorgon::stop_signal(), 0);
}

}  // namespace
