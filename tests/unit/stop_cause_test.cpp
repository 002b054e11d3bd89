// The first cause of a stop names it. (CTest runs each test in a process of its own, so the
// signal handlers' state does not carry from one test to the next.)
#include <gtest/gtest.h>

#include <csignal>

#include "gorgon/run/stop.hpp"

namespace {

TEST(StopCause, ASignalAfterADeadlineStopKeepsTheDeadlineAsCause) {
  gorgon::install_stop_handlers();
  gorgon::request_stop("time limit");
  std::raise(SIGUSR1);  // the first signal: taken, but the stop had begun already
  EXPECT_TRUE(gorgon::stop_requested());
  EXPECT_EQ(gorgon::stop_reason(), "time limit");
  EXPECT_EQ(gorgon::stop_code(), 1);
}

TEST(StopCause, ASignalFirstIsTheCause) {
  gorgon::install_stop_handlers();
  std::raise(SIGTERM);
  gorgon::request_stop("time limit");
  EXPECT_EQ(gorgon::stop_reason(), "SIGTERM");
  EXPECT_EQ(gorgon::stop_code(), SIGTERM);
  EXPECT_EQ(gorgon::stop_signal(), SIGTERM);
}

}  // namespace
