#include "engine/metrics/http_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace wirescan::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A client with bounded timeouts, so a broken server fails the test instead of hanging it.
std::unique_ptr<httplib::Client> ClientFor(const HttpServer& server) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  client->set_connection_timeout(2, 0);
  client->set_read_timeout(5, 0);
  client->set_write_timeout(5, 0);
  return client;
}

// A raw TCP connection to the server, with a generous receive timeout (a broken server fails
// the test instead of hanging it). -1 if it cannot connect.
int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Everything the server sends until it closes the connection (or the receive timeout).
std::string ReadToClose(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Open connections that never finish a request: `slow` have sent part of a head, the others
// nothing. Closed on destruction.
class Attackers {
 public:
  Attackers(int port, int slow, int idle) {
    for (int i = 0; i < slow + idle; ++i) {
      int fd = Connect(port);
      if (fd < 0) continue;
      if (i < slow) SendAll(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      fds_.push_back(fd);
    }
  }
  ~Attackers() {
    for (int fd : fds_) ::close(fd);
  }
  // One more byte on every slow connection (a slowloris drip).
  void Drip(int slow) {
    for (int i = 0; i < slow && i < static_cast<int>(fds_.size()); ++i) {
      ::send(fds_[static_cast<size_t>(i)], "x", 1, MSG_NOSIGNAL);
    }
  }
  const std::vector<int>& fds() const { return fds_; }

 private:
  std::vector<int> fds_;
};

// Waits (bounded, generously) until `done` holds; false if it never does.
template <typename F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::set<std::string> ThreadNames() {
  std::set<std::string> names;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return names;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name);
  }
  closedir(dir);
  return names;
}

TEST(HttpServerTest, MalformedAddressesAreRejected) {
  for (const char* address : {"nonsense", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:8x",
                              "::1:9464", "[::1:9464"}) {
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(address, {});
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << address;
  }
  HttpServer::Options no_threads;
  no_threads.threads = 0;
  EXPECT_EQ(HttpServer::Start("127.0.0.1:0", {}, no_threads).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, SecondServerOnTheSamePortFails) {
  absl::StatusOr<std::unique_ptr<HttpServer>> first = HttpServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = (*first)->address();
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(address, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(), address + ": address already in use");
}

TEST(HttpServerTest, DefaultHostIsLoopback) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(":0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), "127.0.0.1:" + std::to_string((*server)->port()));
}

class HttpServerRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("wirescan_test_records_total", "Records.", {"topic"})
        ->WithLabels({"a\"b"})
        ->Inc(7);
    HttpHandlers handlers;
    handlers.registry = &registry_;
    handlers.readiness = [this] {
      if (ready_.load()) return Readiness{true, ""};
      return Readiness{false, "kafka: no partition assigned\nrules: not loaded\n"};
    };
    handlers.reload = [this]() -> absl::StatusOr<std::string> {
      ++reloads_;
      switch (reload_outcome_.load()) {
        case 0: return std::string("v2-3f9a");
        case 1: return absl::InvalidArgumentError("rules/orgs.yaml:42: rule org.jcet: bad regex");
        default: return absl::InternalError("cannot create topic wirescan.events.orgs");
      }
    };
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start("127.0.0.1:0", std::move(handlers));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = ClientFor(*server_);
  }

  Registry registry_;
  std::atomic<bool> ready_{false};
  std::atomic<int> reload_outcome_{0};
  std::atomic<int> reloads_{0};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerRoutesTest, MetricsIsTheExposition) {
  httplib::Result res = client_->Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body, registry_.Expose());
  EXPECT_THAT(res->body, HasSubstr("wirescan_test_records_total{topic=\"a\\\"b\"} 7\n"));

  httplib::Result head = client_->Head("/metrics");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
}

TEST_F(HttpServerRoutesTest, Healthz) {
  httplib::Result res = client_->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(HttpServerRoutesTest, ReadyzFollowsTheCallback) {
  httplib::Result res = client_->Get("/readyz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "kafka: no partition assigned\nrules: not loaded\n");
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/plain"));

  ready_ = true;
  res = client_->Get("/readyz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ready\n");
}

TEST_F(HttpServerRoutesTest, ReloadReportsTheOutcome) {
  httplib::Result res = client_->Post("/-/reload");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "reloaded: v2-3f9a\n");

  reload_outcome_ = 1;
  res = client_->Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body, "rules/orgs.yaml:42: rule org.jcet: bad regex\n");

  reload_outcome_ = 2;
  res = client_->Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, "cannot create topic wirescan.events.orgs\n");
  EXPECT_EQ(reloads_.load(), 3);
}

TEST_F(HttpServerRoutesTest, WrongMethodIs405AndUnknownPathIs404) {
  httplib::Result res = client_->Get("/-/reload");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  EXPECT_EQ(reloads_.load(), 0);

  res = client_->Post("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET, HEAD");

  res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(HttpServerRoutesTest, RunsOnNamedThreadsAndStops) {
  std::set<std::string> names = ThreadNames();
  EXPECT_TRUE(names.count("ws:http")) << "threads: " << names.size();
  // Workers start with the accept loop; one request guarantees they exist.
  ASSERT_TRUE(client_->Get("/healthz"));
  names = ThreadNames();
  EXPECT_TRUE(names.count("ws:http-1"));
  EXPECT_TRUE(names.count("ws:http-2"));
  EXPECT_TRUE(names.count("ws:http-reload"));

  client_->set_keep_alive(true);
  ASSERT_TRUE(client_->Get("/healthz"));  // an idle keep-alive connection during Stop()
  server_->Stop();
  server_->Stop();  // idempotent
  names = ThreadNames();
  EXPECT_FALSE(names.count("ws:http"));
  EXPECT_FALSE(names.count("ws:http-1"));
  EXPECT_FALSE(names.count("ws:http-reload"));

  auto fresh = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  fresh->set_connection_timeout(2, 0);
  EXPECT_FALSE(fresh->Get("/healthz"));
}

TEST(HttpServerTest, WithoutCallbacks) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<httplib::Client> client = ClientFor(**server);
  httplib::Result res = client->Get("/readyz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  res = client->Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 501);
  res = client->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

// Probes: N rounds of /healthz and /metrics on fresh connections; the number that failed.
int FailedProbes(const HttpServer& server, int n) {
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    std::unique_ptr<httplib::Client> client = ClientFor(server);
    httplib::Result res = client->Get(i % 2 == 0 ? "/healthz" : "/metrics");
    if (!res || res->status != 200) {
      ++failed;
      ADD_FAILURE() << "probe " << i << ": "
                    << (res ? std::to_string(res->status) : httplib::to_string(res.error()));
    }
  }
  return failed;
}

TEST(HttpServerHardeningTest, SlowAndIdleClientsDoNotStarveProbes) {
  Registry registry;
  HttpHandlers handlers;
  handlers.registry = &registry;
  HttpServer::Options options;
  options.threads = 2;
  options.max_connections = 64;
  // Longer than the test: the attackers are not timed out, so the probes are answered because
  // slow clients cost no thread, not because they were closed first.
  options.request_timeout_ms = 600000;
  options.keep_alive_timeout_ms = 600000;
  auto server = HttpServer::Start("127.0.0.1:0", handlers, options);
  ASSERT_TRUE(server.ok()) << server.status();
  // Twice as many slowloris connections as request threads, plus idle ones.
  Attackers attackers((*server)->port(), /*slow=*/4, /*idle=*/40);
  ASSERT_EQ(attackers.fds().size(), 44u);
  ASSERT_TRUE(Eventually([&] { return (*server)->stats().connections_accepted >= 44; }));
  for (int round = 0; round < 3; ++round) {
    attackers.Drip(4);
    EXPECT_EQ(FailedProbes(**server, 9), 0) << "round " << round;
  }
  HttpServerStats stats = (*server)->stats();
  EXPECT_EQ(stats.closed_timeout, 0u);
  EXPECT_LE(stats.connections_open, 64u);
  EXPECT_EQ(stats.requests, 27u);  // the probes; no attacker's request ever completed
}

TEST(HttpServerHardeningTest, ConnectionLimitClosesTheLongestWaiting) {
  Registry registry;
  HttpHandlers handlers;
  handlers.registry = &registry;
  HttpServer::Options options;
  options.max_connections = 8;
  options.request_timeout_ms = 600000;
  options.keep_alive_timeout_ms = 600000;
  auto server = HttpServer::Start("127.0.0.1:0", handlers, options);
  ASSERT_TRUE(server.ok()) << server.status();
  Attackers attackers((*server)->port(), /*slow=*/2, /*idle=*/48);
  ASSERT_TRUE(Eventually([&] { return (*server)->stats().connections_accepted >= 50; }));
  EXPECT_EQ(FailedProbes(**server, 9), 0);
  HttpServerStats stats = (*server)->stats();
  EXPECT_LE(stats.connections_open, 8u);
  EXPECT_GE(stats.closed_limit, 42u);  // 50 + 9 probes, at most 8 open at a time
  // The first connection was the longest waiting: closed by the server (end of stream).
  EXPECT_EQ(ReadToClose(attackers.fds().front()), "");
}

TEST(HttpServerHardeningTest, RequestAndKeepAliveTimeoutsCloseConnections) {
  HttpHandlers handlers;
  HttpServer::Options options;
  options.request_timeout_ms = 100;
  options.keep_alive_timeout_ms = 100;
  auto server = HttpServer::Start("127.0.0.1:0", handlers, options);
  ASSERT_TRUE(server.ok()) << server.status();
  int slow = Connect((*server)->port());
  ASSERT_GE(slow, 0);
  ASSERT_TRUE(SendAll(slow, "GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_EQ(ReadToClose(slow), "");  // closed, without an answer
  ::close(slow);
  int kept = Connect((*server)->port());
  ASSERT_GE(kept, 0);
  ASSERT_TRUE(SendAll(kept, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string answer = ReadToClose(kept);  // the answer, then closed once idle
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\nok\n"));
  ::close(kept);
  EXPECT_GE((*server)->stats().closed_timeout, 2u);
}

TEST(HttpServerHardeningTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = HttpServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  int fd = Connect((*server)->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string answers = ReadToClose(fd);
  ::close(fd);
  size_t ok = answers.find("\r\n\r\nok\n");
  size_t ready = answers.find("\r\n\r\nready\n");
  ASSERT_NE(ok, std::string::npos) << answers;
  ASSERT_NE(ready, std::string::npos) << answers;
  EXPECT_LT(ok, ready);
  EXPECT_NE(answers.find("\r\n\r\nok\n", ready), std::string::npos) << answers;
}

TEST(HttpServerHardeningTest, MalformedFramingIsAnsweredAndClosed) {
  HttpHandlers handlers;
  handlers.reload = []() -> absl::StatusOr<std::string> { return std::string("v"); };
  HttpServer::Options options;
  options.max_head_bytes = 1024;
  options.max_body_bytes = 16;
  auto server = HttpServer::Start("127.0.0.1:0", handlers, options);
  ASSERT_TRUE(server.ok()) << server.status();
  struct Case {
    std::string request;
    std::string status_line;
  };
  const Case cases[] = {
      {"GET /healthz HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 "},
      {"POST /-/reload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 411 "},
      {"POST /-/reload HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", "HTTP/1.1 413 "},
      {"POST /-/reload HTTP/1.1\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 400 "},
      {"POST /-/reload HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       "HTTP/1.1 400 "},
  };
  for (const Case& c : cases) {
    int fd = Connect((*server)->port());
    ASSERT_GE(fd, 0);
    SendAll(fd, c.request);
    EXPECT_THAT(ReadToClose(fd), StartsWith(c.status_line)) << c.request.substr(0, 60);
    ::close(fd);
  }
}

// Reloads that block until released, counting the calls.
class ReloadFlightTest : public ::testing::Test {
 protected:
  void StartServer(std::string token) {
    HttpHandlers handlers;
    handlers.registry = &registry_;
    handlers.reload = [this]() -> absl::StatusOr<std::string> {
      const int call = ++calls_;
      if (call == 1) release_.WaitForNotification();
      return "v" + std::to_string(call);
    };
    handlers.reload_token = std::move(token);
    HttpServer::Options options;
    options.max_connections = 128;
    auto server = HttpServer::Start("127.0.0.1:0", std::move(handlers), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  Registry registry_;
  std::atomic<int> calls_{0};
  absl::Notification release_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ReloadFlightTest, ConcurrentReloadsShareAtMostTwoRunsAndProbesKeepAnswering) {
  StartServer("");
  constexpr int kReloads = 24;
  std::vector<std::thread> clients;
  std::vector<int> status(kReloads, 0);
  std::vector<std::string> body(kReloads);
  for (int i = 0; i < kReloads; ++i) {
    clients.emplace_back([&, i] {
      auto client = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
      client->set_connection_timeout(5, 0);
      client->set_read_timeout(60, 0);
      httplib::Result res = client->Post("/-/reload");
      if (res) {
        status[static_cast<size_t>(i)] = res->status;
        body[static_cast<size_t>(i)] = res->body;
      }
    });
  }
  // Every reload request has arrived; the first reload is still running (blocked).
  ASSERT_TRUE(Eventually([&] { return server_->stats().requests >= kReloads; }));
  EXPECT_EQ(calls_.load(), 1);
  // Probes are answered meanwhile: reloads never hold the request threads.
  EXPECT_EQ(FailedProbes(*server_, 9), 0);
  release_.Notify();
  for (std::thread& t : clients) t.join();
  EXPECT_LE(calls_.load(), 2);
  EXPECT_EQ(server_->stats().reloads_run, static_cast<uint64_t>(calls_.load()));
  for (int i = 0; i < kReloads; ++i) {
    EXPECT_EQ(status[static_cast<size_t>(i)], 200) << i;
    EXPECT_THAT(body[static_cast<size_t>(i)], StartsWith("reloaded: v")) << i;
  }
  // A request after the burst runs a reload of its own.
  std::unique_ptr<httplib::Client> client = ClientFor(*server_);
  const int before = calls_.load();
  httplib::Result res = client->Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(calls_.load(), before + 1);
}

TEST_F(ReloadFlightTest, AtTheLimitWithEveryConnectionBusyANewOneIs503) {
  HttpHandlers handlers;
  handlers.reload = [this]() -> absl::StatusOr<std::string> {
    ++calls_;
    release_.WaitForNotification();
    return std::string("v");
  };
  HttpServer::Options options;
  options.max_connections = 2;
  auto server = HttpServer::Start("127.0.0.1:0", std::move(handlers), options);
  ASSERT_TRUE(server.ok()) << server.status();
  // Two connections with a reload in progress (one running, one waiting for its turn).
  int a = Connect((*server)->port()), b = Connect((*server)->port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  const std::string reload =
      "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  SendAll(a, reload);
  ASSERT_TRUE(Eventually([&] { return calls_.load() == 1; }));  // a's reload is running
  SendAll(b, reload);
  ASSERT_TRUE(Eventually([&] { return (*server)->stats().requests >= 2; }));
  int c = Connect((*server)->port());
  ASSERT_GE(c, 0);
  EXPECT_THAT(ReadToClose(c), StartsWith("HTTP/1.1 503 "));
  ::close(c);
  EXPECT_EQ((*server)->stats().closed_limit, 1u);
  release_.Notify();
  EXPECT_THAT(ReadToClose(a), StartsWith("HTTP/1.1 200 "));
  EXPECT_THAT(ReadToClose(b), StartsWith("HTTP/1.1 200 "));
  ::close(a);
  ::close(b);
  EXPECT_EQ(calls_.load(), 2);  // b arrived while a's reload ran: it needs a later one
}

TEST_F(ReloadFlightTest, BearerTokenProtectsReload) {
  release_.Notify();
  StartServer("s3cret-token");
  std::unique_ptr<httplib::Client> client = ClientFor(*server_);
  httplib::Result res = client->Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"wirescan\"");
  for (const char* wrong : {"Bearer s3cret-tokem", "Bearer s3cret-token2", "Bearer ",
                            "Basic czNjcmV0LXRva2Vu", "s3cret-token"}) {
    res = client->Post("/-/reload", httplib::Headers{{"Authorization", wrong}}, "", "text/plain");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << wrong;
  }
  EXPECT_EQ(calls_.load(), 0);
  res = client->Post("/-/reload", httplib::Headers{{"Authorization", "bearer s3cret-token"}}, "",
                     "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "reloaded: v1\n");
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(server_->stats().reloads_unauthorized, 6u);
  // Probes need no token.
  EXPECT_EQ(FailedProbes(*server_, 3), 0);
}

}  // namespace
}  // namespace wirescan::metrics
