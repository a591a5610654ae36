#include "engine/core/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wirescan::core {

long LineReader::Fill() {
  if (eof_) return 0;
  if (begin_ > 0 && begin_ >= buffer_.size() / 2) {  // keep the buffer's unconsumed tail only
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  const size_t old = buffer_.size();
  buffer_.resize(old + kChunkBytes);
  ssize_t n;
  do {
    n = ::read(fd_, buffer_.data() + old, kChunkBytes);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    errno_ = errno;
    buffer_.resize(old);
    return -1;
  }
  buffer_.resize(old + static_cast<size_t>(n));
  if (n == 0) eof_ = true;
  return n;
}

std::string_view LineReader::Peek(size_t n) {
  while (buffer_.size() - begin_ < n && Fill() > 0) {
  }
  return std::string_view(buffer_).substr(begin_, n);
}

LineReader::Result LineReader::Rest(std::string_view* text, size_t* size) {
  size_t skipped = 0;
  while (!eof_) {
    if (buffer_.size() - begin_ > max_line_bytes_) {
      skipped += buffer_.size() - begin_;
      buffer_.clear();
      begin_ = 0;
    }
    if (Fill() < 0) return Result::kError;
  }
  const size_t length = skipped + buffer_.size() - begin_;
  *size = length;
  if (length == 0) return Result::kEnd;
  const size_t from = begin_;
  begin_ = buffer_.size();
  if (length > max_line_bytes_) return Result::kOversized;
  *text = std::string_view(buffer_).substr(from);
  return Result::kLine;
}

LineReader::Result LineReader::Next(std::string_view* line, size_t* line_no, size_t* size) {
  size_t scanned = begin_;  // bytes before this offset hold no newline
  size_t skipped = 0;       // bytes of an oversized line already dropped
  while (true) {
    const char* start = buffer_.data() + scanned;
    const void* nl = std::memchr(start, '\n', buffer_.size() - scanned);
    if (nl != nullptr || (eof_ && (begin_ < buffer_.size() || skipped > 0))) {
      const size_t end = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) -
                                                             buffer_.data())
                                       : buffer_.size();
      const size_t length = skipped + (end - begin_);
      *line_no = ++line_no_;
      *size = length;
      const size_t line_begin = begin_;
      begin_ = nl != nullptr ? end + 1 : end;
      if (length > max_line_bytes_) return Result::kOversized;
      *line = std::string_view(buffer_).substr(line_begin, end - line_begin);
      return Result::kLine;
    }
    if (eof_) return Result::kEnd;
    if (skipped > 0 || buffer_.size() - begin_ > max_line_bytes_) {
      // Too long to keep: drop what is buffered and remember how much.
      skipped += buffer_.size() - begin_;
      buffer_.clear();
      begin_ = 0;
    }
    scanned = buffer_.size();
    const size_t before = begin_;
    if (Fill() < 0) return Result::kError;
    scanned -= before - begin_;  // Fill() may have moved the unconsumed bytes to the front
  }
}

}  // namespace wirescan::core
