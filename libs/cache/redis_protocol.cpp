#include "cache/redis_protocol.hpp"

#include <memory>
#include <new>

#include <hiredis/read.h>

namespace kai::cache {
namespace {

// hiredis calls these from C: they must not throw, and returning nullptr makes the reader fail
// with an error instead of building the object.
void* make_reply(const redisReadTask* task, Reply::Type type, std::string_view str,
                 long long integer) {
  if (task->parent != nullptr) return nullptr;  // arrays are never created, so never nested
  try {
    auto reply = std::make_unique<Reply>();
    reply->type = type;
    reply->str.assign(str.data(), str.size());
    reply->integer = integer;
    return reply.release();
  } catch (...) {
    return nullptr;
  }
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  Reply::Type type;
  switch (task->type) {
    case REDIS_REPLY_STRING:
      type = Reply::Type::string;
      break;
    case REDIS_REPLY_STATUS:
      type = Reply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      type = Reply::Type::error;
      break;
    default:
      return nullptr;
  }
  return make_reply(task, type, std::string_view(str, len), 0);
}

void* create_array(const redisReadTask* /*task*/, int /*elements*/) {
  return nullptr;
}

void* create_integer(const redisReadTask* task, long long value) {
  return make_reply(task, Reply::Type::integer, {}, value);
}

void* create_nil(const redisReadTask* task) {
  if (task->type != REDIS_REPLY_STRING) return nullptr;  // "*-1": a nil array, never expected
  return make_reply(task, Reply::Type::nil, {}, 0);
}

void free_object(void* obj) {
  delete static_cast<Reply*>(obj);
}

// hiredis keeps a non-const pointer to this table but never writes through it.
redisReplyObjectFunctions g_functions = {create_string, create_array, create_integer, create_nil,
                                         free_object};

}  // namespace

std::string format_command(std::span<const std::string_view> args) {
  std::size_t size = 16;
  for (const auto a : args)
    size += a.size() + 24;
  std::string out;
  out.reserve(size);
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const auto a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a.data(), a.size());
    out += "\r\n";
  }
  return out;
}

ReplyReader::ReplyReader(std::size_t max_reply_bytes)
    : reader_(redisReaderCreateWithFunctions(&g_functions)), max_reply_bytes_(max_reply_bytes) {}

ReplyReader::~ReplyReader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

std::size_t ReplyReader::buffered() const {
  if (reader_ == nullptr || reader_->buf == nullptr) return 0;
  return reader_->len - reader_->pos;
}

Status ReplyReader::feed(std::string_view bytes) {
  if (reader_ == nullptr) return unavailable("redis reply reader could not be allocated");
  if (failed_) return unavailable("redis reply stream is out of sync");
  if (buffered() + bytes.size() > max_reply_bytes_) {
    failed_ = true;
    return unavailable("redis reply exceeds " + std::to_string(max_reply_bytes_) + " bytes");
  }
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    failed_ = true;
    return unavailable(std::string("redis reply reader: ") + reader_->errstr);
  }
  return Status::Ok();
}

Result<std::optional<Reply>> ReplyReader::next() {
  if (reader_ == nullptr) return unavailable("redis reply reader could not be allocated");
  if (failed_) return unavailable("redis reply stream is out of sync");
  void* obj = nullptr;
  if (redisReaderGetReply(reader_, &obj) != REDIS_OK) {
    failed_ = true;
    // An object callback refusing an unexpected shape surfaces as hiredis's "Out of memory".
    const std::string why = reader_->err == REDIS_ERR_OOM
                                ? std::string("unexpected reply shape (array or nested reply)")
                                : std::string(reader_->errstr);
    return unavailable("redis protocol error: " + why);
  }
  if (obj == nullptr) return std::optional<Reply>();
  std::unique_ptr<Reply> reply(static_cast<Reply*>(obj));
  return std::optional<Reply>(std::move(*reply));
}

}  // namespace kai::cache
