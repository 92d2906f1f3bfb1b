// The gzip-compressed merges file CLIP ships (bpe_simple_vocab_16e6.txt.gz):
// a '#version' header line, then one merge per line, "first second", the
// symbols written in GPT-2's byte-to-unicode alphabet (see byte_unicode.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace refseg {

using BpeMerges = std::vector<std::pair<std::string, std::string>>;

// Every merge in the file, in rank order. Throws refseg::ModelError naming the
// file and the problem: missing/unreadable, not gzip, truncated or corrupt
// gzip data, no '#version' header, a malformed line, no merges at all.
BpeMerges read_merges_gz(const std::string &path);

// Writes merges in the same format ("#version: 0.2" header). Throws
// refseg::ModelError when the file cannot be written or a symbol is empty or
// contains whitespace (the format could not represent it).
void write_merges_gz(const std::string &path, const BpeMerges &merges);

}  // namespace refseg
