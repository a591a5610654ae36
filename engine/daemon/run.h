#pragma once
// `wirescan run`: the daemon. With --config, a consumer-group member of a real Kafka cluster;
// without, the embedded demo: an in-process Kafka-protocol broker (librdkafka's mock cluster)
// loaded with the bundled sample articles, the full pipeline, and every produced event printed
// as one JSON line on stdout.
//
// Threads: the calling thread becomes ws:consumer; ws:signals waits for SIGTERM/SIGINT;
// the pipeline starts ws:worker-N; the producer ws:delivery; the demo adds ws:printer.

#include <string>
#include <vector>

namespace wirescan::daemon {

// Returns the process exit code.
int RunDaemon(std::vector<std::string> args);

}  // namespace wirescan::daemon
