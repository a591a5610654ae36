#pragma once
// Sentence segmentation of one field, outside the Hyperscan automaton: a vector pass finds the
// few candidate bytes ('.', '!', '?', a line break, the lead byte of a CJK terminator) and the
// rules below decide each one. As literals in the main database the terminators cost a fifth of
// the scan (426 k callbacks per pass of the English corpus; see perf/RESULTS.md).
//
// Rules: '.', '!' and '?' end a sentence when followed by white space, a closing quote or
// bracket, or the end of the text ("1.15", "example.com" and "?!" do not), and a '.' after an
// abbreviation ("U.S.", "Co.", "Jan.") does not. A line break ends one unless it only wraps a
// newswire line (a Latin letter, digit, ',' or '-' before it, a lower-case letter or digit
// after). The CJK terminators 。！？ always end one.
//
// Thread safety: stateless.

#include <cstdint>
#include <string_view>
#include <vector>

namespace wirescan::match {

// Appends to `ends` the offset just past each sentence terminator of `text`, in order.
void FindSentenceEnds(std::string_view text, std::vector<uint32_t>* ends);

}  // namespace wirescan::match
