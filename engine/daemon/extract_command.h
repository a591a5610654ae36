#pragma once
// `wirescan extract`: analyses articles from files or stdin and prints one ArticleAnalysis (or
// the events) per article. Input is read as a stream (core::LineReader): memory stays bounded by
// --max-record-bytes plus fixed buffers whatever the input's size. The compiled rule database
// comes from the rules cache (--rules-cache DIR, default $XDG_CACHE_HOME/wirescan/rules) when
// the pack is unchanged.
//
// Thread safety: called from main() only.

#include <string>
#include <vector>

namespace wirescan::daemon {

// Runs `wirescan extract ARGS`; returns the exit code (0 all analysed, 1 some records
// rejected or a failure, 2 usage error).
int RunExtract(std::vector<std::string> args);

// The rules cache the CLI uses by default: $WIRESCAN_RULES_CACHE, else
// $XDG_CACHE_HOME/wirescan/rules, else $HOME/.cache/wirescan/rules; empty if none can be named.
std::string DefaultRulesCacheDir();

}  // namespace wirescan::daemon
