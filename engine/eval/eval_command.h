#pragma once
// `wirescan rules eval`: the command line around Evaluator (engine/eval/eval.h). The CLI
// (engine/daemon/cli.cc) only dispatches to it.
//
// Thread safety: runs on the caller's thread.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace wirescan::eval {

extern const std::string_view kEvalUsage;

// `args` are the arguments after "rules eval". Prints the report to `out`, problems to `err`.
// Exit status: 0, 1 when a --min/--max check fails or a file cannot be read or has a bad
// line, 2 on a usage error.
int RunEvalCommand(const std::vector<std::string>& args, const std::string& default_rules_dir,
                   std::ostream& out, std::ostream& err);

}  // namespace wirescan::eval
