#include "engine/emit/schema_registry.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/strings.h"
#include "simdjson.h"

namespace wirescan::emit {
namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// A subject in a URL path: everything but unreserved characters percent-encoded.
std::string EscapePath(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

struct Answer {
  long status = 0;    // HTTP status; 0 when no answer came
  std::string body;
  std::string error;  // curl's, when status is 0
};

Answer Post(const SchemaRegistryOptions& options, const std::string& url, const std::string& body,
            long timeout_ms) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Answer answer;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    answer.error = "curl_easy_init failed";
    return answer;
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/vnd.schemaregistry.v1+json");
  headers = curl_slist_append(headers, "Accept: application/vnd.schemaregistry.v1+json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, std::max(timeout_ms, 1L));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::max(std::min(timeout_ms, 5000L), 1L));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options.basic_auth.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, options.basic_auth.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  } else {
    answer.error = error[0] != '\0' ? error : curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return answer;
}

// The "id" of a registration answer, or 0.
uint32_t ParseId(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) return 0;
  int64_t id = 0;
  if (doc["id"].get_int64().get(id) != simdjson::SUCCESS) return 0;
  return id > 0 && id <= UINT32_MAX ? static_cast<uint32_t>(id) : 0;
}

std::string Shorten(std::string_view s) {
  std::string out(s.substr(0, 300));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string ValueSubject(std::string_view topic) { return absl::StrCat(core::Sv(topic), "-value"); }

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

absl::StatusOr<uint32_t> SchemaRegistryClient::Register(std::string_view subject,
                                                        std::string_view schema) {
  std::string base = options_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = absl::StrCat(base, "/subjects/", EscapePath(subject), "/versions");
  const std::string body =
      absl::StrCat("{\"schemaType\":\"PROTOBUF\",\"schema\":", JsonQuote(schema), "}");
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  auto backoff = std::chrono::milliseconds(200);
  std::string last;
  while (true) {
    const long left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
                          .count();
    if (left <= 0) break;
    Answer a = Post(options_, url, body, left);
    if (a.status >= 200 && a.status < 300) {
      uint32_t id = ParseId(a.body);
      if (id == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "schema registry ", url, ": answer without a schema id: ", Shorten(a.body)));
      }
      return id;
    }
    if (a.status >= 400 && a.status < 500 && a.status != 408 && a.status != 429) {
      return absl::FailedPreconditionError(absl::StrCat("schema registry ", url, " refused ",
                                                        core::Sv(subject), ": HTTP ", a.status, ": ",
                                                        Shorten(a.body)));
    }
    last = a.status == 0 ? a.error : absl::StrCat("HTTP ", a.status, ": ", Shorten(a.body));
    const auto now = Clock::now();
    if (now + backoff >= deadline) break;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  return absl::UnavailableError(absl::StrCat("schema registry ", url, ": ", core::Sv(subject),
                                             " not registered within ", options_.timeout_ms,
                                             " ms: ", last));
}

}  // namespace wirescan::emit
