#include "engine/metrics/http_server.h"

#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/core/log.h"
#include "engine/core/strings.h"
#include "engine/core/thread.h"
#include "httplib.h"

namespace wirescan::metrics {
namespace {

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kTextContentType[] = "text/plain; charset=utf-8";
constexpr char kDefaultHost[] = "127.0.0.1";

struct HostPort {
  std::string host;     // without brackets
  int port = 0;
  std::string display;  // "host:port" / "[v6]:port"
};

absl::StatusOr<HostPort> ParseAddress(std::string_view address) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("admin address \"", core::Sv(address),
                                                   "\": ", core::Sv(why)));
  };
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return invalid("expected host:port");
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  bool bracketed = false;
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return invalid("unterminated [ipv6]");
    host = host.substr(1, host.size() - 2);
    bracketed = true;
  } else if (host.find(':') != std::string_view::npos) {
    return invalid("an IPv6 host goes in brackets: [::1]:port");
  }
  int port = -1;
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(core::Sv(port_text), &port) || port > 65535) {
    return invalid("port must be 0..65535");
  }
  HostPort out;
  out.host = host.empty() ? std::string(kDefaultHost) : std::string(host);
  out.port = port;
  out.display = bracketed ? absl::StrCat("[", out.host, "]:", port)
                          : absl::StrCat(out.host, ":", port);
  return out;
}

std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// httplib's task queue, on named threads (its own ThreadPool's are anonymous).
// Thread safety: enqueue() from ws:http, shutdown() from ws:http after the accept loop.
class NamedPool final : public httplib::TaskQueue {
 public:
  explicit NamedPool(int threads) {
    workers_.reserve(static_cast<size_t>(threads));
    for (int i = 0; i < threads; ++i) {
      workers_.emplace_back(absl::StrCat("ws:http-", i + 1), [this] { Work(); });
    }
  }
  ~NamedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock lock(&mu_);
    jobs_.push_back(std::move(fn));
  }

  // Runs the jobs already queued, then joins the workers.
  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (core::NamedThread& t : workers_) t.Join();
  }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !jobs_.empty() || shutdown_; }

  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &NamedPool::Ready));
        if (jobs_.empty()) return;  // shutdown_ and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<core::NamedThread> workers_;
};

void SetText(httplib::Response& res, int status, std::string body) {
  if (!body.empty() && body.back() != '\n') body.push_back('\n');
  res.status = status;
  res.set_content(std::move(body), kTextContentType);
}

int ReloadErrorStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    default:
      return 500;
  }
}

}  // namespace

struct HttpServer::Impl {
  HttpHandlers handlers;
  Options options;
  httplib::Server server;
  absl::Mutex reload_mu;  // serialises reload callbacks; guards nothing else
  // Set by ws:http when listen_after_bind() returns (release), read by Start() (acquire).
  std::atomic<bool> listen_done{false};
  core::NamedThread thread;
  bool stopped = false;

  void AddRoutes();
};

void HttpServer::Impl::AddRoutes() {
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (handlers.registry == nullptr) return SetText(res, 404, "no metrics registry");
    res.status = 200;
    res.set_content(handlers.registry->Expose(), kMetricsContentType);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    SetText(res, 200, "ok");
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    Readiness r = handlers.readiness ? handlers.readiness() : Readiness{};
    if (r.ready) return SetText(res, 200, r.detail.empty() ? "ready" : std::move(r.detail));
    SetText(res, 503, r.detail.empty() ? "not ready" : std::move(r.detail));
  });
  server.Post("/-/reload", [this](const httplib::Request& req, httplib::Response& res) {
    if (!handlers.reload) return SetText(res, 501, "reload is not configured");
    core::LogInfo("http: reload requested by ", req.remote_addr);
    absl::StatusOr<std::string> version;
    {
      absl::MutexLock lock(&reload_mu);
      version = handlers.reload();
    }
    if (version.ok()) return SetText(res, 200, absl::StrCat("reloaded: ", *version));
    SetText(res, ReloadErrorStatus(version.status()), std::string(version.status().message()));
  });

  // Wrong method on a known path: 405 with Allow.
  auto not_allowed = [](const char* allow) {
    return [allow](const httplib::Request&, httplib::Response& res) {
      SetText(res, 405, "method not allowed");
      res.set_header("Allow", allow);
    };
  };
  for (const char* path : {"/metrics", "/healthz", "/readyz"}) {
    server.Post(path, not_allowed("GET, HEAD"));
    server.Put(path, not_allowed("GET, HEAD"));
    server.Patch(path, not_allowed("GET, HEAD"));
    server.Delete(path, not_allowed("GET, HEAD"));
  }
  server.Get("/-/reload", not_allowed("POST"));
  server.Put("/-/reload", not_allowed("POST"));
  server.Patch("/-/reload", not_allowed("POST"));
  server.Delete("/-/reload", not_allowed("POST"));

  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SetText(res, 500, "internal error");
      });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(std::string_view address,
                                                              HttpHandlers handlers) {
  return Start(address, std::move(handlers), Options{});
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(std::string_view address,
                                                              HttpHandlers handlers,
                                                              Options options) {
  absl::StatusOr<HostPort> hp = ParseAddress(address);
  if (!hp.ok()) return hp.status();
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin server: threads must be >= 1 (got ", options.threads, ")"));
  }

  // Resolve first, so that an unknown host is reported as such rather than as a bind failure.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  int gai = getaddrinfo(hp->host.c_str(), absl::StrCat(hp->port).c_str(), &hints, &resolved);
  if (gai != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(hp->display, ": cannot resolve host: ", gai_strerror(gai)));
  }
  freeaddrinfo(resolved);

  auto impl = std::make_unique<Impl>();
  impl->handlers = std::move(handlers);
  impl->options = options;
  httplib::Server& server = impl->server;
  // httplib's default sets SO_REUSEPORT, which would let a second daemon bind the same port
  // silently and steal half the scrapes. SO_REUSEADDR alone only allows rebinding over
  // TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_keep_alive_timeout(options.keep_alive_timeout_s);
  server.set_read_timeout(options.io_timeout_s, 0);
  server.set_write_timeout(options.io_timeout_s, 0);
  server.set_payload_max_length(options.max_body_bytes);
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new NamedPool(threads); };
  impl->AddRoutes();

  errno = 0;
  int port = hp->port;
  if (port == 0) {
    port = server.bind_to_any_port(hp->host);
  } else if (!server.bind_to_port(hp->host, port)) {
    port = -1;
  }
  if (port < 0) {
    const int err = errno;  // httplib leaves bind(2)'s errno in place
    std::string why = err != 0 ? ErrnoText(err) : "cannot bind";
    std::string message = absl::StrCat(hp->display, ": ", why);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    if (err == EADDRNOTAVAIL) return absl::InvalidArgumentError(message);
    return absl::UnavailableError(message);
  }

  std::unique_ptr<HttpServer> out(new HttpServer(std::move(impl)));
  out->port_ = port;
  out->address_ = hp->display.substr(0, hp->display.rfind(':') + 1) + std::to_string(port);
  Impl* raw = out->impl_.get();
  raw->thread = core::NamedThread("ws:http", [raw] {
    if (!raw->server.listen_after_bind()) core::LogError("http: accept loop failed");
    raw->listen_done.store(true, std::memory_order_release);
  });
  // httplib's stop() does nothing until the accept loop has started: wait for it, so that a
  // Stop() right after Start() cannot be lost. This takes microseconds.
  while (!raw->server.is_running() && !raw->listen_done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  core::LogInfo("http: admin endpoint on ", out->address_);
  return out;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  impl_->thread.Join();
}

}  // namespace wirescan::metrics
