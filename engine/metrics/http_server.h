#pragma once
// The admin HTTP endpoint. cpp-httplib parses requests and writes responses; the sockets are
// ours, so that no client can hold a thread:
//   GET  /metrics    the registry in the text format 0.0.4
//                    (Content-Type: text/plain; version=0.0.4; charset=utf-8)
//   GET  /healthz    200 "ok" while the process is alive
//   GET  /readyz     200, or 503 with a plain-text body listing the failing checks
//   POST /-/reload   runs the reload callback (single-flight, below): 200 "reloaded: <version>",
//                    400 (InvalidArgument / FailedPrecondition: the new pack was rejected) or
//                    500 (anything else) with the error message; 501 without a callback;
//                    401 (with WWW-Authenticate: Bearer) when a reload token is configured and
//                    the request has no "Authorization: Bearer <token>" or another token
// Another method on a known path answers 405 with an Allow header; HEAD works wherever GET does.
//
// Hardening (Options below; every limit is counted, none depends on the client's good will):
//   - one I/O thread reads and writes every socket without blocking; a request reaches a
//     request thread only once its head and body (Content-Length) are complete in memory, and
//     its response is written from memory by the I/O thread. A slow (slowloris) or idle client
//     costs a buffer, never a thread.
//   - a request must arrive whole within request_timeout_ms of its first byte (of the
//     connection's opening for the first request); an idle keep-alive connection is closed
//     after keep_alive_timeout_ms; a response not taken by the client within write_timeout_ms
//     closes the connection. Heads over max_head_bytes: 431; bodies without Content-Length
//     (chunked): 411; bodies over max_body_bytes: 413.
//   - at most max_connections connections: a new one beyond closes the connection that has
//     been waiting longest for a request (idle or slow), or, when every connection has a
//     request in progress, is answered 503 and closed at once.
//   - POST /-/reload requests run on their own thread (ws:http-reload), so that reloads never
//     occupy the request threads that answer /healthz, /readyz and /metrics.
//
// Reload single-flight: a reload request is answered with the outcome of the first reload that
// started after the request arrived (so the reload saw every rule change made before the
// request). Requests that arrive while a reload runs share the next one: a burst of N
// concurrent requests runs the callback at most twice.
//
// Lifecycle: Start() binds (so a bind error is returned, not logged from a thread), then serves
// until Stop() or destruction. Stop() closes the listener and every connection at once and
// waits for the callbacks in progress (a reload in progress finishes first).
//
// Threads (all owned, all joined by Stop()): "ws:http" accepts, reads and writes sockets;
// "ws:http-1".."ws:http-N" (Options::threads) parse requests and run /metrics, /healthz and
// /readyz (the registry's Expose() and the readiness callback, which must be thread-safe);
// "ws:http-reload" runs reload requests and the reload callback, one at a time.
// Thread safety: Start() and Stop() from the owning thread; port(), address() and stats()
// anywhere.

#include <cstddef>
#include <cstdint>
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
  // Non-empty: POST /-/reload needs "Authorization: Bearer <reload_token>" (compared in
  // constant time). Empty: no authentication.
  std::string reload_token;
};

// Counters of the endpoint (relaxed: for metrics, logs and tests).
struct HttpServerStats {
  uint64_t connections_open = 0;       // now
  uint64_t connections_accepted = 0;   // since start
  uint64_t closed_limit = 0;           // closed to make room, or refused (503), at the limit
  uint64_t closed_timeout = 0;         // request, keep-alive or write timeout
  uint64_t requests = 0;               // complete requests handed to the request threads
  uint64_t reloads_run = 0;            // reload callback calls
  uint64_t reloads_unauthorized = 0;   // 401 answers
};

class HttpServer {
 public:
  struct Options {
    int threads = 2;                      // request threads (ws:http-N), 1..64
    int max_connections = 64;             // open connections, 2..65536
    int request_timeout_ms = 5000;        // a request's head and body, from its first byte
    int keep_alive_timeout_ms = 5000;     // an idle keep-alive connection
    int write_timeout_ms = 5000;          // a response, from its first byte written
    int keep_alive_max_requests = 100;    // requests per connection, then Connection: close
    size_t max_head_bytes = 16 * 1024;    // request line + headers
    size_t max_body_bytes = 64 * 1024;
  };

  // Binds `address` and starts serving. `address`: "host:port", "[v6]:port" or ":port"
  // (host 127.0.0.1); port 0 picks an ephemeral port (see port()).
  // Errors: InvalidArgument (malformed address, unknown host, options out of bounds),
  // Unavailable / PermissionDenied (bind failed, e.g. "127.0.0.1:9464: address already in use").
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(std::string_view address,
                                                           HttpHandlers handlers);
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(std::string_view address,
                                                           HttpHandlers handlers,
                                                           Options options);

  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, closes every connection, waits for the callbacks in progress, joins all
  // threads. Idempotent.
  void Stop();

  // The bound port (the ephemeral one when started with port 0).
  int port() const { return port_; }
  // "host:port" as bound, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }
  HttpServerStats stats() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string address_;
};

}  // namespace wirescan::metrics
