#include "engine/metrics/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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

using Clock = std::chrono::steady_clock;

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

// A response written by the I/O thread itself (the request never reaches httplib).
std::string StaticResponse(int status, std::string_view reason, std::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, " ", core::Sv(reason),
                      "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ",
                      body.size(), "\r\nConnection: close\r\n\r\n", core::Sv(body));
}

// Constant-time comparison of a presented token with the configured one.
bool TokenMatches(std::string_view presented, std::string_view expected) {
  unsigned diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const char p = i < presented.size() ? presented[i] : '\0';
    diff |= static_cast<unsigned char>(p ^ expected[i]);
  }
  return diff == 0;
}

// "Bearer <token>" (scheme case-insensitive, RFC 6750) -> token; empty when absent.
std::string_view BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return {};
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  return token;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Where a request ends in the bytes received so far. Only framing: the request line and the
// headers are parsed by httplib; this finds the end of the head and the body's length.
struct Framing {
  enum Kind { kIncomplete, kComplete, kError } kind = kIncomplete;
  size_t total = 0;        // kComplete: bytes of head + body
  bool force_close = false;
  bool reload_lane = false;  // "POST /-/reload[?...]"
  int status = 0;          // kError: the status to answer
};

Framing Frame(std::string_view in, size_t max_head, size_t max_body) {
  Framing f;
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > max_head) {
    if (end != std::string_view::npos || in.size() > max_head) {
      f.kind = Framing::kError;
      f.status = 431;
    }
    return f;
  }
  const size_t head = end + 4;
  const size_t line_end = in.find("\r\n");
  std::string_view line = in.substr(0, line_end);
  if (line.size() > 5 && line.substr(0, 5) == "POST ") {
    std::string_view target = line.substr(5);
    target = target.substr(0, target.find_first_of(" ?"));
    f.reload_lane = target == "/-/reload";
  }
  size_t body = 0;
  bool has_length = false;
  for (size_t pos = line_end + 2; pos < end;) {
    size_t next = in.find("\r\n", pos);
    std::string_view header = in.substr(pos, next - pos);
    pos = next + 2;
    size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;  // httplib answers 400
    std::string_view name = header.substr(0, colon);
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (EqualsIgnoreCase(name, "transfer-encoding")) {
      f.kind = Framing::kError;
      f.status = 411;  // only bodies with a Content-Length
      return f;
    }
    if (EqualsIgnoreCase(name, "content-length")) {
      size_t n = 0;
      if (value.empty() || value.size() > 18 ||
          value.find_first_not_of("0123456789") != std::string_view::npos ||
          !absl::SimpleAtoi(core::Sv(value), &n) || (has_length && n != body)) {
        f.kind = Framing::kError;
        f.status = 400;
        return f;
      }
      body = n;
      has_length = true;
    }
  }
  if (body > max_body) {
    // httplib answers 413 without reading the body (it gets the end of the stream).
    f.kind = Framing::kComplete;
    f.total = head;
    f.force_close = true;
    return f;
  }
  if (in.size() < head + body) return f;
  f.kind = Framing::kComplete;
  f.total = head + body;
  return f;
}

// httplib's request processing on a stream of our own: the parser and router, without its
// sockets and threads.
class Parser final : public httplib::Server {
 public:
  bool Process(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
  }
  // The listening socket bound by bind_to_port(); httplib forgets it (we run the accept loop).
  int TakeListener() { return svr_sock_.exchange(INVALID_SOCKET); }
};

// One complete request in memory in, the response bytes out.
class MemoryStream final : public httplib::Stream {
 public:
  MemoryStream(std::string_view in, const std::string& remote_ip, int remote_port,
               const std::string& local_ip, int local_port, std::string* out)
      : in_(in), remote_ip_(remote_ip), local_ip_(local_ip), remote_port_(remote_port),
        local_port_(local_port), out_(out) {}

  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);  // 0: the end (httplib never waits for more)
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_->append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  // Not a socket: httplib only compares it with FD_SETSIZE.
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  const std::string& remote_ip_;
  const std::string& local_ip_;
  int remote_port_, local_port_;
  std::string* out_;
};

// Named threads running jobs in order. Stop() drops the jobs not started and joins.
// Thread safety: Post() from any thread; Stop() from one.
class Lane {
 public:
  Lane(std::string_view name, int threads, bool numbered) {
    for (int i = 0; i < threads; ++i) {
      std::string n = numbered ? absl::StrCat(core::Sv(name), "-", i + 1) : std::string(name);
      workers_.emplace_back(std::move(n), [this] { Work(); });
    }
  }
  ~Lane() { Stop(); }

  void Post(std::function<void()> job) {
    absl::MutexLock lock(&mu_);
    jobs_.push_back(std::move(job));
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      jobs_.clear();
    }
    for (core::NamedThread& t : workers_) t.Join();
  }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !jobs_.empty() || stop_; }

  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Lane::Ready));
        if (stop_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<core::NamedThread> workers_;
};

// The request being processed on this thread: set by the lanes' jobs around Process().
struct RequestContext {
  uint64_t flights_started_at_arrival = 0;
  bool reload_lane = false;
};
thread_local const RequestContext* tls_request = nullptr;

std::string NumericHost(const sockaddr_storage& addr, socklen_t len, int* port) {
  char host[NI_MAXHOST] = "";
  char serv[NI_MAXSERV] = "";
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv,
                  sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    *port = 0;
    return "";
  }
  if (!absl::SimpleAtoi(serv, port)) *port = 0;
  return host;
}

}  // namespace

struct HttpServer::Impl {
  // Constant after Start().
  HttpHandlers handlers;
  Options options;
  Parser server;
  int listen_fd = -1;
  int wake_fd = -1;  // eventfd: completions and Stop() wake ws:http

  // Reload single-flight. Written by ws:http-reload only; `flights_started` is read by ws:http
  // when a request has arrived whole (acquire, pairs with the release store before a reload
  // runs).
  std::atomic<uint64_t> flights_started{0};
  uint64_t flights_finished = 0;                  // ws:http-reload only
  absl::StatusOr<std::string> last_flight;        // ws:http-reload only

  // Counters (relaxed).
  std::atomic<uint64_t> open{0}, accepted{0}, closed_limit{0}, closed_timeout{0}, requests{0},
      reloads_run{0}, reloads_unauthorized{0};

  // A request's outcome, from a lane to ws:http.
  struct Done {
    uint64_t conn = 0;
    std::string out;
    bool close = false;
  };
  absl::Mutex done_mu;
  std::vector<Done> done ABSL_GUARDED_BY(done_mu);
  std::atomic<bool> stopping{false};  // release by Stop(), acquire by ws:http

  // Created by Start(), stopped by ws:http on its way out.
  std::unique_ptr<Lane> requests_lane;
  std::unique_ptr<Lane> reload_lane;
  core::NamedThread io;
  bool stopped = false;  // owning thread

  // ----- ws:http only
  enum class State { kReading, kBusy, kWriting };
  struct Conn {
    uint64_t id = 0;
    int fd = -1;
    State state = State::kReading;
    std::string in;
    std::string out;
    size_t out_off = 0;
    bool close_after_write = false;
    bool idle = false;             // kept alive, no byte of the next request yet
    int served = 0;
    Clock::time_point waiting_since;  // entered kReading (eviction order)
    Clock::time_point deadline;
    std::string remote_ip, local_ip;
    int remote_port = 0, local_port = 0;
  };
  absl::flat_hash_map<uint64_t, std::unique_ptr<Conn>> conns;
  uint64_t next_id = 1;
  Clock::time_point accept_paused_until;

  void AddRoutes();
  absl::StatusOr<std::string> ReloadFor(uint64_t started_at_arrival, const std::string& who);
  void Wake();
  void Loop();
  void Accept(Clock::time_point now);
  bool EvictOldestWaiting();
  void Close(Conn* c);
  void OnReadable(Conn* c, Clock::time_point now);
  void OnWritable(Conn* c, Clock::time_point now);
  void TryFrame(Conn* c, Clock::time_point now);
  void Dispatch(Conn* c, const Framing& f);
  void Respond(Conn* c, std::string bytes, Clock::time_point now);
  void ApplyDone(Clock::time_point now);
  void Expire(Clock::time_point now);
};

absl::StatusOr<std::string> HttpServer::Impl::ReloadFor(uint64_t started_at_arrival,
                                                        const std::string& who) {
  // The first reload started after the request arrived has number started_at_arrival + 1.
  if (flights_finished < started_at_arrival + 1) {
    const uint64_t flight = flights_finished + 1;
    flights_started.store(flight, std::memory_order_release);
    core::LogInfo("http: reload requested by ", who);
    reloads_run.fetch_add(1, std::memory_order_relaxed);
    last_flight = handlers.reload();
    flights_finished = flight;
  }
  return last_flight;
}

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
    if (!handlers.reload_token.empty() &&
        !TokenMatches(BearerToken(req.get_header_value("Authorization")), handlers.reload_token)) {
      reloads_unauthorized.fetch_add(1, std::memory_order_relaxed);
      res.set_header("WWW-Authenticate", "Bearer realm=\"wirescan\"");
      return SetText(res, 401, "POST /-/reload needs \"Authorization: Bearer <token>\"");
    }
    const RequestContext* ctx = tls_request;
    if (ctx == nullptr || !ctx->reload_lane) {
      // Only a literal "/-/reload" goes to the reload thread (an escaped path would not).
      return SetText(res, 400, "name the path literally: POST /-/reload");
    }
    absl::StatusOr<std::string> version =
        ReloadFor(ctx->flights_started_at_arrival, req.remote_addr);
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

void HttpServer::Impl::Wake() {
  const uint64_t one = 1;
  ssize_t n = ::write(wake_fd, &one, sizeof(one));
  (void)n;  // EAGAIN: the counter is already non-zero, ws:http wakes anyway
}

void HttpServer::Impl::Close(Conn* c) {
  ::close(c->fd);
  open.fetch_sub(1, std::memory_order_relaxed);
  conns.erase(c->id);  // destroys *c
}

bool HttpServer::Impl::EvictOldestWaiting() {
  Conn* oldest = nullptr;
  for (auto& [id, c] : conns) {
    if (c->state != State::kReading) continue;
    if (oldest == nullptr || c->waiting_since < oldest->waiting_since) oldest = c.get();
  }
  if (oldest == nullptr) return false;
  closed_limit.fetch_add(1, std::memory_order_relaxed);
  Close(oldest);
  return true;
}

void HttpServer::Impl::Accept(Clock::time_point now) {
  for (int i = 0; i < 256; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: leave the backlog alone for a moment rather than spin on it.
        core::LogWarning("http: accept: ", ErrnoText(errno));
        accept_paused_until = now + std::chrono::milliseconds(100);
      }
      return;  // EAGAIN, or a connection already gone (ECONNABORTED)
    }
    accepted.fetch_add(1, std::memory_order_relaxed);
    if (conns.size() >= static_cast<size_t>(options.max_connections) && !EvictOldestWaiting()) {
      // Every connection has a request in progress: refuse this one at once.
      closed_limit.fetch_add(1, std::memory_order_relaxed);
      std::string refusal = StaticResponse(503, "Service Unavailable", "too many connections\n");
      ssize_t n = ::send(fd, refusal.data(), refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)n;
      ::close(fd);
      continue;
    }
    if (conns.size() >= static_cast<size_t>(options.max_connections)) continue;  // unreachable
    auto c = std::make_unique<Conn>();
    c->id = next_id++;
    c->fd = fd;
    c->waiting_since = now;
    c->deadline = now + std::chrono::milliseconds(options.request_timeout_ms);
    c->remote_ip = NumericHost(addr, len, &c->remote_port);
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
      c->local_ip = NumericHost(local, local_len, &c->local_port);
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    open.fetch_add(1, std::memory_order_relaxed);
    conns.emplace(c->id, std::move(c));
  }
}

void HttpServer::Impl::OnReadable(Conn* c, Clock::time_point now) {
  const size_t cap = options.max_head_bytes + options.max_body_bytes + 1;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      if (c->idle) {  // the first byte of the next request starts its clock
        c->idle = false;
        c->deadline = now + std::chrono::milliseconds(options.request_timeout_ms);
      }
      c->in.append(buf, static_cast<size_t>(n));
      if (c->in.size() >= cap) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    return Close(c);  // the client closed (0) or the connection failed
  }
  TryFrame(c, now);
}

void HttpServer::Impl::TryFrame(Conn* c, Clock::time_point now) {
  if (c->in.empty()) return;
  Framing f = Frame(c->in, options.max_head_bytes, options.max_body_bytes);
  switch (f.kind) {
    case Framing::kIncomplete:
      if (c->in.size() > options.max_head_bytes + options.max_body_bytes) {
        return Respond(c, StaticResponse(413, "Payload Too Large", "request too large\n"), now);
      }
      return;
    case Framing::kError:
      if (f.status == 431) {
        return Respond(c, StaticResponse(431, "Request Header Fields Too Large",
                                         "request head too large\n"), now);
      }
      if (f.status == 411) {
        return Respond(c, StaticResponse(411, "Length Required",
                                         "a request body needs Content-Length\n"), now);
      }
      return Respond(c, StaticResponse(400, "Bad Request", "bad Content-Length\n"), now);
    case Framing::kComplete:
      return Dispatch(c, f);
  }
}

void HttpServer::Impl::Respond(Conn* c, std::string bytes, Clock::time_point now) {
  c->out = std::move(bytes);
  c->out_off = 0;
  c->close_after_write = true;
  c->state = State::kWriting;
  c->deadline = now + std::chrono::milliseconds(options.write_timeout_ms);
  OnWritable(c, now);
}

void HttpServer::Impl::Dispatch(Conn* c, const Framing& f) {
  c->state = State::kBusy;
  requests.fetch_add(1, std::memory_order_relaxed);
  std::string request = c->in.substr(0, f.total);
  c->in.erase(0, f.total);
  const bool close = f.force_close || c->served + 1 >= options.keep_alive_max_requests ||
                     stopping.load(std::memory_order_acquire);
  RequestContext ctx;
  ctx.reload_lane = f.reload_lane;
  ctx.flights_started_at_arrival = flights_started.load(std::memory_order_acquire);
  // The job copies what it needs: the connection stays ws:http's.
  auto job = [this, id = c->id, request = std::move(request), close, ctx,
              remote_ip = c->remote_ip, remote_port = c->remote_port, local_ip = c->local_ip,
              local_port = c->local_port] {
    Done d;
    d.conn = id;
    MemoryStream stream(request, remote_ip, remote_port, local_ip, local_port, &d.out);
    bool closed = false;
    tls_request = &ctx;
    const bool ok = server.Process(stream, close, closed);
    tls_request = nullptr;
    d.close = close || closed || !ok;
    {
      absl::MutexLock lock(&done_mu);
      done.push_back(std::move(d));
    }
    Wake();
  };
  (f.reload_lane ? reload_lane : requests_lane)->Post(std::move(job));
}

void HttpServer::Impl::ApplyDone(Clock::time_point now) {
  std::vector<Done> ready;
  {
    absl::MutexLock lock(&done_mu);
    ready.swap(done);
  }
  for (Done& d : ready) {
    auto it = conns.find(d.conn);
    if (it == conns.end()) continue;
    Conn* c = it->second.get();
    c->out = std::move(d.out);
    c->out_off = 0;
    c->close_after_write = d.close;
    c->state = State::kWriting;
    c->deadline = now + std::chrono::milliseconds(options.write_timeout_ms);
    OnWritable(c, now);
  }
}

void HttpServer::Impl::OnWritable(Conn* c, Clock::time_point now) {
  while (c->out_off < c->out.size()) {
    ssize_t n = ::send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c->out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // wait for POLLOUT
    if (n < 0 && errno == EINTR) continue;
    return Close(c);
  }
  if (c->close_after_write) return Close(c);
  c->out.clear();
  c->out_off = 0;
  ++c->served;
  c->state = State::kReading;
  c->waiting_since = now;
  if (c->in.empty()) {
    c->idle = true;
    c->deadline = now + std::chrono::milliseconds(options.keep_alive_timeout_ms);
  } else {  // pipelined: the next request has started
    c->idle = false;
    c->deadline = now + std::chrono::milliseconds(options.request_timeout_ms);
    TryFrame(c, now);
  }
}

void HttpServer::Impl::Expire(Clock::time_point now) {
  std::vector<Conn*> late;
  for (auto& [id, c] : conns) {
    if (c->state != State::kBusy && c->deadline <= now) late.push_back(c.get());
  }
  for (Conn* c : late) {
    closed_timeout.fetch_add(1, std::memory_order_relaxed);
    Close(c);
  }
}

void HttpServer::Impl::Loop() {
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;  // fds[i + 2] belongs to conns[ids[i]]
  while (!stopping.load(std::memory_order_acquire)) {
    Clock::time_point now = Clock::now();
    fds.clear();
    ids.clear();
    fds.push_back({wake_fd, POLLIN, 0});
    const bool accepting = now >= accept_paused_until;
    fds.push_back({accepting ? listen_fd : -1, POLLIN, 0});
    Clock::time_point next = now + std::chrono::seconds(1);
    for (auto& [id, c] : conns) {
      if (c->state == State::kBusy) continue;
      fds.push_back({c->fd, static_cast<short>(c->state == State::kReading ? POLLIN : POLLOUT), 0});
      ids.push_back(id);
      next = std::min(next, c->deadline);
    }
    if (!accepting) next = std::min(next, accept_paused_until);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(wait + 1, 0, 1000)));
    if (n < 0 && errno != EINTR) {
      core::LogError("http: poll: ", ErrnoText(errno));
      break;
    }
    now = Clock::now();
    if (fds[0].revents != 0) {
      uint64_t count = 0;
      ssize_t r = ::read(wake_fd, &count, sizeof(count));
      (void)r;
    }
    ApplyDone(now);
    for (size_t i = 0; i < ids.size(); ++i) {
      const short ev = fds[i + 2].revents;
      if (ev == 0) continue;
      auto it = conns.find(ids[i]);
      if (it == conns.end()) continue;  // closed meanwhile
      Conn* c = it->second.get();
      if (c->state == State::kReading && (ev & (POLLIN | POLLHUP | POLLERR))) {
        OnReadable(c, now);
      } else if (c->state == State::kWriting && (ev & (POLLOUT | POLLHUP | POLLERR))) {
        OnWritable(c, now);
      }
    }
    if (accepting && fds[1].revents != 0) Accept(now);
    Expire(now);
  }
  // Stopping: no new connections; the callbacks in progress finish, queued requests are
  // dropped; then every connection is closed (answers not yet written are lost).
  ::close(listen_fd);
  listen_fd = -1;
  requests_lane->Stop();
  reload_lane->Stop();
  while (!conns.empty()) Close(conns.begin()->second.get());
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
  auto bound = [](std::string_view what, int64_t v, int64_t lo, int64_t hi) -> absl::Status {
    if (v >= lo && v <= hi) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("admin server: ", core::Sv(what), " must be ",
                                                   lo, "..", hi, " (got ", v, ")"));
  };
  for (absl::Status s : {bound("threads", options.threads, 1, 64),
                         bound("max_connections", options.max_connections, 2, 65536),
                         bound("request_timeout_ms", options.request_timeout_ms, 1, 3600000),
                         bound("keep_alive_timeout_ms", options.keep_alive_timeout_ms, 1, 3600000),
                         bound("write_timeout_ms", options.write_timeout_ms, 1, 3600000),
                         bound("keep_alive_max_requests", options.keep_alive_max_requests, 1,
                               1000000)}) {
    if (!s.ok()) return s;
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
  Parser& server = impl->server;
  // httplib's default sets SO_REUSEPORT, which would let a second daemon bind the same port
  // silently and steal half the scrapes. SO_REUSEADDR alone only allows rebinding over
  // TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // What the Keep-Alive response header advertises (the limits are enforced by ws:http).
  server.set_keep_alive_timeout(std::max(1, options.keep_alive_timeout_ms / 1000));
  server.set_keep_alive_max_count(static_cast<size_t>(options.keep_alive_max_requests));
  server.set_payload_max_length(options.max_body_bytes);
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
  impl->listen_fd = server.TakeListener();
  // httplib listens with a backlog of 5: a burst of connections would wait for SYN retries.
  if (::listen(impl->listen_fd, 512) != 0 ||
      fcntl(impl->listen_fd, F_SETFL, fcntl(impl->listen_fd, F_GETFL) | O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(impl->listen_fd);
    return absl::UnavailableError(absl::StrCat(hp->display, ": ", ErrnoText(err)));
  }
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->wake_fd < 0) {
    const int err = errno;
    ::close(impl->listen_fd);
    return absl::UnavailableError(absl::StrCat("admin server: eventfd: ", ErrnoText(err)));
  }

  std::unique_ptr<HttpServer> out(new HttpServer(std::move(impl)));
  out->port_ = port;
  out->address_ = hp->display.substr(0, hp->display.rfind(':') + 1) + std::to_string(port);
  Impl* raw = out->impl_.get();
  raw->requests_lane = std::make_unique<Lane>("ws:http", options.threads, /*numbered=*/true);
  raw->reload_lane = std::make_unique<Lane>("ws:http-reload", 1, /*numbered=*/false);
  raw->io = core::NamedThread("ws:http", [raw] { raw->Loop(); });
  core::LogInfo("http: admin endpoint on ", out->address_);
  return out;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping.store(true, std::memory_order_release);
  impl_->Wake();
  impl_->io.Join();
  ::close(impl_->wake_fd);
  impl_->wake_fd = -1;
}

HttpServerStats HttpServer::stats() const {
  const Impl& i = *impl_;
  HttpServerStats s;
  s.connections_open = i.open.load(std::memory_order_relaxed);
  s.connections_accepted = i.accepted.load(std::memory_order_relaxed);
  s.closed_limit = i.closed_limit.load(std::memory_order_relaxed);
  s.closed_timeout = i.closed_timeout.load(std::memory_order_relaxed);
  s.requests = i.requests.load(std::memory_order_relaxed);
  s.reloads_run = i.reloads_run.load(std::memory_order_relaxed);
  s.reloads_unauthorized = i.reloads_unauthorized.load(std::memory_order_relaxed);
  return s;
}

}  // namespace wirescan::metrics
