#pragma once
// The admin HTTP endpoint (cpp-httplib underneath; no HTTP parsing of our own):
//   GET  /metrics    the registry in the text format 0.0.4
//                    (Content-Type: text/plain; version=0.0.4; charset=utf-8)
//   GET  /healthz    200 "ok" while the process is alive
//   GET  /readyz     200, or 503 with a plain-text body listing the failing checks
//   POST /-/reload   runs the reload callback synchronously: 200 "reloaded: <version>",
//                    400 (InvalidArgument / FailedPrecondition: the new pack was rejected) or
//                    500 (anything else) with the error message; 501 without a callback
// Another method on a known path answers 405 with an Allow header; HEAD works wherever GET does.
//
// Lifecycle: Start() binds (so a bind error is returned, not logged from a thread), then serves
// until Stop() or destruction. Stop() waits for requests in flight; an idle keep-alive
// connection delays it by at most Options::keep_alive_timeout_s.
//
// Threads: "ws:http" accepts; "ws:http-1".."ws:http-N" (Options::threads) serve requests and
// run the handlers' callbacks, so those must be thread-safe. Reload callbacks are serialised.
// Thread safety: Start() and Stop() from the owning thread; port() and address() anywhere.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/metrics/registry.h"

namespace wirescan::metrics {

struct Readiness {
  bool ready = true;
  std::string detail;  // e.g. "kafka: no partition assigned\nrules: not loaded\n"
};

struct HttpHandlers {
  // Borrowed: must outlive the server. Null: /metrics answers 404.
  const Registry* registry = nullptr;
  // Null: always ready.
  std::function<Readiness()> readiness;
  // Returns the version now live, or why the reload failed (e.g. rules::Reloader::ReloadNow).
  std::function<absl::StatusOr<std::string>()> reload;
};

class HttpServer {
 public:
  struct Options {
    int threads = 2;               // request threads (ws:http-N), >= 1
    int keep_alive_timeout_s = 1;  // idle keep-alive connections are closed after this
    int io_timeout_s = 5;          // read/write timeout per request
    size_t max_body_bytes = 64 * 1024;
  };

  // Binds `address` and starts serving. `address`: "host:port", "[v6]:port" or ":port"
  // (host 127.0.0.1); port 0 picks an ephemeral port (see port()).
  // Errors: InvalidArgument (malformed address, unknown host), Unavailable / PermissionDenied
  // (bind failed, e.g. "127.0.0.1:9464: address already in use").
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(std::string_view address,
                                                           HttpHandlers handlers);
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(std::string_view address,
                                                           HttpHandlers handlers,
                                                           Options options);

  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, finishes requests in flight, joins all threads. Idempotent.
  void Stop();

  // The bound port (the ephemeral one when started with port 0).
  int port() const { return port_; }
  // "host:port" as bound, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string address_;
};

}  // namespace wirescan::metrics
