#pragma once
// config_error(f): the message of the gorgon::ConfigError that f throws. The test fails when f
// throws nothing, or throws anything else.
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "gorgon/base/error.hpp"

template <typename F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const gorgon::ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-ConfigError: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}
