// Unicode and HTML data for the tokenizer's text cleaning, generated from
// Python by scripts/gen_unicode_tables.py into unicode_tables.cpp. Plain
// sorted arrays so that the tokenizer needs no ICU: lookups are binary
// searches (see unicode_props.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace refseg {
namespace unicode_tables {

// Inclusive code point range; arrays of these are sorted and disjoint.
struct CodeRange {
  char32_t first, last;
};

// Code points first, first + stride, ..., last lower-case to cp + delta.
struct LowerRun {
  char32_t first, last;
  int32_t delta;
  int32_t stride;
};

// A code point whose lower-case form is several code points (UTF-8).
struct LowerMulti {
  char32_t cp;
  const char *utf8;
};

// A named HTML character reference and its replacement text (UTF-8).
struct HtmlEntity {
  const char *name;
  const char *utf8;
};

// A numeric character reference the HTML standard replaces by another
// code point (e.g. &#x80; -> U+20AC, windows-1252).
struct CharRefFix {
  char32_t number, replacement;
};

extern const CodeRange kLetter[];
extern const std::size_t kLetterCount;
extern const CodeRange kNumber[];
extern const std::size_t kNumberCount;
extern const CodeRange kRegexSpace[];
extern const std::size_t kRegexSpaceCount;
extern const CodeRange kPySpace[];
extern const std::size_t kPySpaceCount;
extern const CodeRange kCased[];
extern const std::size_t kCasedCount;
extern const CodeRange kCaseIgnorable[];
extern const std::size_t kCaseIgnorableCount;
extern const LowerRun kLower[];
extern const std::size_t kLowerCount;
extern const LowerMulti kLowerMulti[];
extern const std::size_t kLowerMultiCount;
extern const HtmlEntity kHtmlEntities[];
extern const std::size_t kHtmlEntitiesCount;
extern const CharRefFix kInvalidCharRefs[];
extern const std::size_t kInvalidCharRefsCount;
extern const CodeRange kInvalidCodepoints[];
extern const std::size_t kInvalidCodepointsCount;

}  // namespace unicode_tables
}  // namespace refseg
