// A test plugin that registers a name the built-ins already use.
#include <gorgon/gorgon.hpp>

static gorgon::Result clash(std::uint64_t, gorgon::Context&) { return "clash"; }
GORGON_OPERATION("noop", clash);
