#pragma once
// A client of a Confluent-compatible Schema Registry (Confluent's, Apicurio's /apis/ccompat/v7,
// Redpanda's, Karapace): registers a Protobuf schema under a subject and returns its id.
// HTTP through libcurl (http and https, basic authentication).
//
// Thread safety: thread-compatible (one request at a time per client); used on the start-up and
// reload threads only, never on the data path.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace wirescan::emit {

struct SchemaRegistryOptions {
  std::string url;         // base URL, e.g. "http://127.0.0.1:8080/apis/ccompat/v7"
  std::string basic_auth;  // "user:password", or empty
  int timeout_ms = 30000;  // budget of one Register() call, retries included
};

class SchemaRegistryClient {
 public:
  explicit SchemaRegistryClient(SchemaRegistryOptions options) : options_(std::move(options)) {}

  // POST {url}/subjects/{subject}/versions {"schemaType":"PROTOBUF","schema":...}; the id the
  // registry answers (the same id again for a schema it already holds). Retries connection
  // failures and 5xx answers with back-off until the timeout. Errors: FailedPrecondition when
  // the registry refuses the schema (4xx: incompatible, invalid, unauthorised; a
  // configuration problem, retrying cannot help), Unavailable when it could not be reached or
  // kept failing (5xx) within the timeout.
  absl::StatusOr<uint32_t> Register(std::string_view subject, std::string_view schema);

 private:
  SchemaRegistryOptions options_;
};

// The subject of a topic's values under the TopicNameStrategy: "<topic>-value".
std::string ValueSubject(std::string_view topic);

// `text` as a JSON string literal (quotes included), for request bodies.
std::string JsonQuote(std::string_view text);

}  // namespace wirescan::emit
