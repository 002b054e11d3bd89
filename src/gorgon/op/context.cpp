// Context and Measurement are header-only; this unit keeps the header compiled on its own.
#include "gorgon/op/context.hpp"
