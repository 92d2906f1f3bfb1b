// GPT-2's reversible byte <-> printable-character map that CLIP's BPE works
// over: printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100 onwards, so every symbol is visible text without whitespace.
#pragma once

#include <array>
#include <string>

namespace refseg {

class ByteUnicode {
 public:
  ByteUnicode();
  // The 256 characters (UTF-8) in OpenAI's order, which is the order of the
  // first 256 vocabulary ids: printable bytes first, then the remapped rest.
  const std::array<std::string, 256> &ordered_chars() const { return ordered_; }
  // UTF-8 of the character standing for `byte`.
  const std::string &encode(unsigned char byte) const { return by_byte_[byte]; }
  // The byte a character stands for, or -1 when it stands for none.
  int decode(char32_t cp) const;

 private:
  std::array<std::string, 256> ordered_;
  std::array<std::string, 256> by_byte_;
  std::array<char32_t, 256> cp_of_byte_;
};

}  // namespace refseg
