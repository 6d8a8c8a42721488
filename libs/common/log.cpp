#include "common/log.hpp"

#include <atomic>
#include <cerrno>

#include <unistd.h>

#include "common/json_writer.hpp"
#include "common/time.hpp"

namespace kai::log {
namespace {

std::atomic<Level> g_min_level{Level::info};
std::string g_process = "kai";  // written once in init(), before threads start

thread_local std::string t_request_id;
thread_local std::string t_trace_id;

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

void write_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // stdout gone: logging must never take the process down
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void append_key(std::string& buf, std::string_view key) {
  buf.push_back(',');
  append_json_string(buf, key);
  buf.push_back(':');
}

}  // namespace

std::optional<Level> level_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (kLevelNames[i] == name) return static_cast<Level>(i);
  }
  return std::nullopt;
}

void init(std::string_view process, Level min_level) {
  g_process = std::string(process);
  g_min_level.store(min_level, std::memory_order_relaxed);
}

bool enabled(Level level) {
  return level >= g_min_level.load(std::memory_order_relaxed);
}

Line::Line(Level level, std::string_view msg) : active_(enabled(level)) {
  if (!active_) return;
  buf_.reserve(256);
  buf_.append("{\"ts\":\"");
  buf_.append(format_rfc3339_ms(now_unix_ms()));
  buf_.append("\",\"level\":\"");
  buf_.append(kLevelNames[static_cast<std::size_t>(level)]);
  buf_.append("\",\"process\":");
  append_json_string(buf_, g_process);
  buf_.append(",\"msg\":");
  append_json_string(buf_, msg);
  if (!t_request_id.empty()) {
    append_key(buf_, "request_id");
    append_json_string(buf_, t_request_id);
  }
  if (!t_trace_id.empty()) {
    append_key(buf_, "trace_id");
    append_json_string(buf_, t_trace_id);
  }
}

Line::~Line() {
  if (!active_) return;
  buf_.append("}\n");
  write_all(buf_);
}

Line& Line::kv(std::string_view key, std::string_view value) {
  if (!active_) return *this;
  append_key(buf_, key);
  append_json_string(buf_, value);
  return *this;
}

Line& Line::kv(std::string_view key, std::int64_t value) {
  if (!active_) return *this;
  append_key(buf_, key);
  buf_.append(std::to_string(value));
  return *this;
}

Line& Line::kv(std::string_view key, std::uint64_t value) {
  if (!active_) return *this;
  append_key(buf_, key);
  buf_.append(std::to_string(value));
  return *this;
}

Line& Line::kv(std::string_view key, double value) {
  if (!active_) return *this;
  std::string tmp;
  JsonWriter(tmp).value(value);
  append_key(buf_, key);
  buf_.append(tmp);
  return *this;
}

Line& Line::kv(std::string_view key, bool value) {
  if (!active_) return *this;
  append_key(buf_, key);
  buf_.append(value ? "true" : "false");
  return *this;
}

ScopedRequest::ScopedRequest(std::string_view request_id, std::string_view trace_id)
    : saved_request_id_(std::move(t_request_id)), saved_trace_id_(std::move(t_trace_id)) {
  t_request_id.assign(request_id);
  t_trace_id.assign(trace_id);
}

ScopedRequest::~ScopedRequest() {
  t_request_id = std::move(saved_request_id_);
  t_trace_id = std::move(saved_trace_id_);
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

}  // namespace kai::log
