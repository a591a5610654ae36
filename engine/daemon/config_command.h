#pragma once
// `wirescan config check FILE`: what `wirescan run --config FILE` checks before it binds a port
// or connects, without doing either: the configuration with the WIRESCAN_* environment
// (unknown keys and variables, bounds, the librdkafka properties applied to throwaway clients
// that connect nowhere), the reload token file, and the rule pack (parse, validate, compile,
// and its examples, as a reload runs them). Exit status 0 when `run` would start, 78
// (EX_CONFIG) with `file:line` messages otherwise, 2 on a usage error.
//
// Thread safety: called from main() only.

#include <string>
#include <vector>

namespace wirescan::daemon {

int RunConfigCommand(std::vector<std::string> args);

}  // namespace wirescan::daemon
