#include "engine/metrics/http_server.h"

#include <dirent.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <set>
#include <string>

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

  client_->set_keep_alive(true);
  ASSERT_TRUE(client_->Get("/healthz"));  // an idle keep-alive connection during Stop()
  server_->Stop();
  server_->Stop();  // idempotent
  names = ThreadNames();
  EXPECT_FALSE(names.count("ws:http"));
  EXPECT_FALSE(names.count("ws:http-1"));

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

}  // namespace
}  // namespace wirescan::metrics
