#include "tokenizer/byte_unicode.h"

#include "tokenizer/unicode_props.h"

namespace refseg {

ByteUnicode::ByteUnicode() {
  auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  int extra = 0;
  for (int b = 0; b < 256; ++b)
    cp_of_byte_[b] = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
  // OpenAI's list: printable bytes in byte order, then the others.
  std::size_t next = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (int b = 0; b < 256; ++b)
      if (printable(b) == (pass == 0)) unicode::append_utf8(cp_of_byte_[b], ordered_[next++]);
  for (int b = 0; b < 256; ++b) unicode::append_utf8(cp_of_byte_[b], by_byte_[b]);
}

int ByteUnicode::decode(char32_t cp) const {
  if (cp < 256 && cp_of_byte_[cp] == cp) return static_cast<int>(cp);
  if (cp >= 256 && cp < 256 + 68) {
    for (int b = 0; b < 256; ++b)
      if (cp_of_byte_[b] == cp) return b;
  }
  return -1;
}

}  // namespace refseg
