#include "tokenizer/unicode_normalization.h"

#include <algorithm>

#include "tokenizer/unicode_tables.h"

namespace refseg {
namespace unicode {
namespace {

namespace ut = unicode_tables;

// Hangul syllables decompose and compose by arithmetic (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool is_hangul_syllable(char32_t cp) {
  return cp >= kSBase && cp < kSBase + kSCount;
}

void decompose_into(char32_t cp, std::u32string &out) {
  if (is_hangul_syllable(cp)) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const ut::Decomposition *end = ut::kCanonicalDecomposition + ut::kCanonicalDecompositionCount;
  const ut::Decomposition *it =
      std::lower_bound(ut::kCanonicalDecomposition, end, cp,
                       [](const ut::Decomposition &d, char32_t c) { return d.cp < c; });
  if (it == end || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  // Mappings nest at most a few levels (U+1E69 -> U+1E63 U+0307 -> s ...).
  decompose_into(it->first, out);
  if (it->second != 0) decompose_into(it->second, out);
}

// The composite of a starter and the next character, or 0.
char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount)
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  if (is_hangul_syllable(first) && (first - kSBase) % kTCount == 0 && second > kTBase &&
      second < kTBase + kTCount)
    return first + (second - kTBase);
  const ut::Composition *end = ut::kComposition + ut::kCompositionCount;
  const ut::Composition *it =
      std::lower_bound(ut::kComposition, end, std::make_pair(first, second),
                       [](const ut::Composition &c, const std::pair<char32_t, char32_t> &key) {
                         return c.first != key.first ? c.first < key.first : c.second < key.second;
                       });
  return it != end && it->first == first && it->second == second ? it->composite : 0;
}

}  // namespace

uint8_t combining_class(char32_t cp) {
  const ut::CombiningRange *end = ut::kCombiningClass + ut::kCombiningClassCount;
  const ut::CombiningRange *it =
      std::lower_bound(ut::kCombiningClass, end, cp,
                       [](const ut::CombiningRange &r, char32_t c) { return r.last < c; });
  return it != end && it->first <= cp ? it->combining_class : 0;
}

std::u32string nfd(const std::u32string &text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) decompose_into(cp, out);
  // Canonical ordering: each run of non-starters sorted by class, stably.
  for (std::size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(
        out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
        [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

std::u32string nfc(const std::u32string &text) {
  const std::u32string d = nfd(text);
  std::u32string out;
  out.reserve(d.size());
  // The canonical composition algorithm (UAX #15): a character joins the
  // last starter when nothing between them blocks it (no mark of the same
  // or a higher class in between).
  std::size_t starter = 0;
  bool have_starter = false;
  int last_class = -1;  // class of the last character appended; -1: none
  for (char32_t cp : d) {
    const int cc = combining_class(cp);
    if (have_starter) {
      const bool blocked = last_class != 0 && last_class >= cc;
      const bool adjacent = out.size() == starter + 1;
      if (!blocked || adjacent) {
        if (const char32_t composite = compose_pair(out[starter], cp)) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (cc == 0) {
      starter = out.size();
      have_starter = true;
    }
    last_class = cc;
    out.push_back(cp);
  }
  return out;
}

}  // namespace unicode
}  // namespace refseg
