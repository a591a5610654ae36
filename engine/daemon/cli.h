#pragma once
// The `wirescan` command line: subcommand dispatch and the one-shot commands
// (`extract`, `rules check`). The daemon (`run`) is wired here too once it exists.
//
// Thread safety: called from main() only.

namespace wirescan::daemon {

// Runs the command line; returns the process exit code (0 ok, 1 failure, 2 usage error).
int RunCli(int argc, char** argv);

}  // namespace wirescan::daemon
