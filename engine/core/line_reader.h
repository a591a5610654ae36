#pragma once
// LineReader: reads a file descriptor as a stream of lines in bounded memory (the CLI's input).
// A line longer than `max_line_bytes` is not kept: its bytes are skipped up to the next newline
// and Next() reports it as oversized, with its size, so memory stays at about
// max_line_bytes + one read chunk whatever the input's size.
//
// Lifecycle: construct on an open descriptor (not owned, not closed), call Next() until it
// returns kEnd or kError.
//
// Thread safety: thread-compatible; one reader per descriptor.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wirescan::core {

class LineReader {
 public:
  enum class Result : uint8_t {
    kLine,       // *line is a whole line without its '\n' (valid until the next call)
    kOversized,  // a line longer than max_line_bytes was skipped; *size says how long it was
    kEnd,        // end of input
    kError,      // read() failed; error() has errno
  };

  static constexpr size_t kChunkBytes = 1 << 20;

  LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_line_bytes_(max_line_bytes) {}

  // The next line. `*line_no` (1-based) numbers every line, oversized ones included.
  Result Next(std::string_view* line, size_t* line_no, size_t* size);

  // Everything not consumed yet, as one record (a plain-text article): kLine with *text valid
  // until the next call, or kOversized (the rest is read and dropped; *size says how much),
  // kEnd if nothing is left, kError.
  Result Rest(std::string_view* text, size_t* size);

  // Reads up to `n` bytes into the buffer without consuming them, for sniffing the input's
  // type; returns what is buffered (fewer bytes at end of input).
  std::string_view Peek(size_t n);

  int error() const { return errno_; }

 private:
  // Appends up to kChunkBytes from fd_; returns the count, 0 at end, -1 on error.
  long Fill();

  const int fd_;
  const size_t max_line_bytes_;
  std::string buffer_;
  size_t begin_ = 0;  // start of unconsumed bytes in buffer_
  size_t line_no_ = 0;
  bool eof_ = false;
  int errno_ = 0;
};

}  // namespace wirescan::core
