#include "gorgon/op/plugin.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include "gorgon/base/error.hpp"
#include "gorgon/op/registry.hpp"

namespace gorgon {

void check_registrations() {
  const auto errors = registry().take_errors();
  if (errors.empty()) return;
  std::string text = errors.front();
  for (std::size_t i = 1; i < errors.size(); ++i) text += "; " + errors[i];
  throw ConfigError(text);
}

void load_plugin(const std::string& path) {
  check_registrations();  // do not blame this plugin for earlier errors
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw ConfigError("plugin '" + path + "' does not exist");
  const std::size_t before = registry().all().size();
  // dlopen needs a slash to take a path rather than search the library path.
  const std::string where = path.find('/') == std::string::npos ? "./" + path : path;
  void* handle = ::dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw ConfigError("cannot load plugin '" + path + "': " + (why ? why : "unknown error"));
  }
  // The handle is kept open for the life of the process: the operations live in it.
  try {
    check_registrations();
  } catch (const ConfigError& e) {
    throw ConfigError("plugin '" + path + "': " + e.what());
  }
  if (registry().all().size() == before)
    throw ConfigError("plugin '" + path +
                      "' registers no new operation (loaded twice? operations register with "
                      "GORGON_OPERATION)");
}

}  // namespace gorgon
