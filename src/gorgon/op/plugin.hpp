#pragma once
// Plugins: shared libraries that register operations with GORGON_OPERATION when loaded.
#include <string>

namespace gorgon {

/// Loads a plugin (dlopen, symbols resolved now). Throws ConfigError when the file is
/// missing or cannot be loaded (with dlerror()'s text), when it registers no operation, or
/// when a registration failed (e.g. a name registered twice).
void load_plugin(const std::string& path);

/// Throws ConfigError with every registration error left by static initialisers so far.
void check_registrations();

}  // namespace gorgon
