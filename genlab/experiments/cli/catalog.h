// `genlab list samplers|grids|datasets|families`: what can be named in a config, with
// each entry's options and defaults (the same rows the config reader checks against).
#pragma once

#include <string>

namespace genlab {

// The listing of `what`; throws naming the four kinds for anything else.
std::string list_catalog(const std::string& what);

}  // namespace genlab
