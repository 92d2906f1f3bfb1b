// Unicode and HTML data for the tokenizer's text cleaning (and the parts of
// ftfy it reproduces, ftfy_fixes.h), generated from
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

// A canonical decomposition: cp -> first, second (second 0 when the mapping
// is one code point).
struct Decomposition {
  char32_t cp, first, second;
};

// Code points in [first, last] have this canonical combining class (not 0).
struct CombiningRange {
  char32_t first, last;
  uint8_t combining_class;
};

// NFC's canonical composition of a pair.
struct Composition {
  char32_t first, second, composite;
};

// A code point replaced by a text (UTF-8, may be several code points).
struct Replacement {
  char32_t cp;
  const char *utf8;
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
extern const CodeRange kDecimalDigit[];
extern const std::size_t kDecimalDigitCount;
extern const Decomposition kCanonicalDecomposition[];  // sorted by cp
extern const std::size_t kCanonicalDecompositionCount;
extern const CombiningRange kCombiningClass[];
extern const std::size_t kCombiningClassCount;
extern const Composition kComposition[];  // sorted by (first, second)
extern const std::size_t kCompositionCount;
extern const Replacement kLatinLigatures[];  // each array sorted by cp
extern const std::size_t kLatinLigaturesCount;
extern const Replacement kWidthForms[];
extern const std::size_t kWidthFormsCount;
extern const Replacement kC1AsWindows1252[];
extern const std::size_t kC1AsWindows1252Count;
extern const HtmlEntity kUpperCaseEntities[];  // sorted by name, names without '&'
extern const std::size_t kUpperCaseEntitiesCount;

}  // namespace unicode_tables
}  // namespace refseg
