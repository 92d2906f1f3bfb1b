#!/usr/bin/env python3
"""Generates models/tokenizer/unicode_tables.cpp: the Unicode and HTML data the
CLIP tokenizer's text cleaning needs, taken from this Python's unicodedata,
str.lower()/str.isspace() and html module, so that the C++ cleaning matches
what OpenAI's simple_tokenizer.py does under Python, and the data of the parts
of ftfy.fix_text (ftfy 6 defaults) that models/tokenizer/ftfy_fixes.cpp
reproduces: canonical decomposition, combining classes and composition for
NFC, the Latin ligatures, the width forms, Windows-1252 for C1 controls and
the upper-cased HTML entity names ftfy accepts. The rules come from ftfy's
documentation (docs/models.md cites them); the data from this Python.

Usage: python3 scripts/gen_unicode_tables.py > models/tokenizer/unicode_tables.cpp
"""
import html
import html.entities
import sys
import unicodedata

MAX = 0x110000


def ranges(pred):
    out, start = [], None
    for cp in range(MAX + 1):
        inside = cp < MAX and pred(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append((start, cp - 1))
            start = None
    return out


def cat(cp):
    return unicodedata.category(chr(cp))


def c_str(s):
    # UTF-8 bytes as a C string literal: printable ASCII as is, other bytes
    # as \xNN, the literal split where a hex digit follows an escape.
    out, escaped = [], False
    for b in s.encode('utf-8'):
        ch = chr(b)
        if 0x20 <= b < 0x7F and ch not in '"\\?':
            if escaped and ch in '0123456789abcdefABCDEF':
                out.append('""')
            out.append(ch)
            escaped = False
        else:
            out.append('\\x%02x' % b)
            escaped = True
    return '"' + ''.join(out) + '"'


def lower_runs():
    # Single code point mappings cp -> cp + delta, grouped into runs of equal
    # delta with stride 1 or 2 (upper/lower pairs alternate in many blocks).
    pairs = []
    multi = []
    for cp in range(MAX):
        low = chr(cp).lower()
        if low == chr(cp):
            continue
        if len(low) == 1:
            pairs.append((cp, ord(low) - cp))
        else:
            multi.append((cp, low))
    runs = []
    i = 0
    while i < len(pairs):
        cp, delta = pairs[i]
        stride = 1
        if i + 1 < len(pairs) and pairs[i + 1][1] == delta and pairs[i + 1][0] - cp in (1, 2):
            stride = pairs[i + 1][0] - cp
        last = cp
        j = i + 1
        while j < len(pairs) and pairs[j][1] == delta and pairs[j][0] == last + stride:
            last = pairs[j][0]
            j += 1
        runs.append((cp, last, delta, stride))
        i = j
    return runs, multi

def normalization_tables(w):
    # Canonical decompositions (no <tag>): one or two code points each; NFD
    # applies them recursively. Hangul syllables are algorithmic (not listed).
    decomp = []
    for cp in range(MAX):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith('<'):
            parts = [int(x, 16) for x in d.split()]
            decomp.append((cp, parts[0], parts[1] if len(parts) > 1 else 0))
    w('// Canonical decomposition mappings (UnicodeData field 5 without a <tag>):\n'
      '// cp -> first (+ second when not 0), applied recursively for NFD.\n')
    w('const Decomposition kCanonicalDecomposition[] = {\n')
    for cp, a, b in decomp:
        w('    {0x%X, 0x%X, 0x%X},\n' % (cp, a, b))
    w('};\nconst std::size_t kCanonicalDecompositionCount = %d;\n\n' % len(decomp))

    runs, start, prev = [], None, None
    for cp in range(MAX + 1):
        c = unicodedata.combining(chr(cp)) if cp < MAX else 0
        if start is not None and (c != prev or cp != last + 1):
            runs.append((start, last, prev))
            start = None
        if c and start is None:
            start, prev = cp, c
        if c:
            last = cp
    w('// Canonical_Combining_Class, for the code points where it is not 0.\n')
    w('const CombiningRange kCombiningClass[] = {\n')
    for a, b, c in runs:
        w('    {0x%X, 0x%X, %d},\n' % (a, b, c))
    w('};\nconst std::size_t kCombiningClassCount = %d;\n\n' % len(runs))

    # Primary composites: a pair decomposition whose composite NFC keeps
    # (composition exclusions and non-starter decompositions do not).
    pairs = sorted((a, b, cp) for cp, a, b in decomp
                   if b and unicodedata.normalize('NFC', chr(cp)) == chr(cp))
    w('// Canonical composition for NFC: (first, second) -> composite, sorted\n'
      '// by (first, second); composition exclusions left out.\n')
    w('const Composition kComposition[] = {\n')
    for a, b, cp in pairs:
        w('    {0x%X, 0x%X, 0x%X},\n' % (a, b, cp))
    w('};\nconst std::size_t kCompositionCount = %d;\n\n' % len(pairs))


def emit_replacements(w, name, items, what):
    w('// %s\n' % what)
    w('const Replacement %s[] = {\n' % name)
    for cp, text in items:
        w('    {0x%X, %s},\n' % (cp, c_str(text)))
    w('};\nconst std::size_t %sCount = %d;\n\n' % (name, len(items)))


def ftfy_tables(w):
    # fix_latin_ligatures: ftfy's documentation lists the Dutch IJ/ij, the
    # Afrikaans n-apostrophe, the Serbo-Croatian digraphs DZ/DŽ/LJ/NJ in all
    # cases and the typographic ff/fi/fl/ffi/ffl/long-st/st; each becomes its
    # compatibility decomposition (one level: U+FB05 -> long s + t).
    ligatures = [0x132, 0x133, 0x149] + list(range(0x1C4, 0x1CD)) + list(range(0xFB00, 0xFB07))
    items = []
    for cp in ligatures:
        d = unicodedata.decomposition(chr(cp))
        assert d.startswith('<compat> '), hex(cp)
        items.append((cp, ''.join(chr(int(x, 16)) for x in d.split()[1:])))
    emit_replacements(w, 'kLatinLigatures', items,
                      'fix_latin_ligatures: Latin ligature -> the letters it joins')

    # fix_character_width: U+3000 IDEOGRAPHIC SPACE -> space, and every code
    # point of the Halfwidth and Fullwidth Forms block (U+FF01..U+FFEF) to its
    # NFKC form where that differs.
    items = [(0x3000, ' ')]
    for cp in range(0xFF01, 0xFFF0):
        alt = unicodedata.normalize('NFKC', chr(cp))
        if alt != chr(cp):
            items.append((cp, alt))
    emit_replacements(w, 'kWidthForms', items,
                      'fix_character_width: fullwidth / halfwidth form -> standard width')

    # fix_c1_controls: U+0080..U+009F read as the Windows-1252 byte of the
    # same value; the five bytes Windows-1252 leaves undefined stay as they are.
    items = []
    for b in range(0x80, 0xA0):
        try:
            items.append((b, bytes([b]).decode('cp1252')))
        except UnicodeDecodeError:
            pass
    emit_replacements(w, 'kC1AsWindows1252', items,
                      'fix_c1_controls: C1 control -> its Windows-1252 character')

    # unescape_html also decodes the upper-cased names of the all-lower-case
    # html5 entities ending in ';' ("&EACUTE;" -> the upper case of "é"),
    # unless the upper-cased name already means something to html.unescape.
    items = []
    for name, value in html.entities.html5.items():
        if name.endswith(';') and name == name.lower():
            upper = '&' + name.upper()
            if html.unescape(upper) == upper:
                items.append((upper[1:], value.upper()))
    items.sort()
    w('// ftfy\'s upper-cased entity names (without the \'&\') and their text.\n')
    w('const HtmlEntity kUpperCaseEntities[] = {\n')
    for name, value in items:
        w('    {%s, %s},\n' % (c_str(name), c_str(value)))
    w('};\nconst std::size_t kUpperCaseEntitiesCount = %d;\n\n' % len(items))


def main():
    w = sys.stdout.write
    w('// GENERATED by scripts/gen_unicode_tables.py from Python %s (Unicode %s).\n'
      % (sys.version.split()[0], unicodedata.unidata_version))
    w('// Do not edit by hand: rerun the script.\n')
    w('#include "tokenizer/unicode_tables.h"\n\nnamespace refseg {\nnamespace unicode_tables {\n\n')

    def emit_ranges(name, rs, what):
        w('// %s\n' % what)
        w('const CodeRange %s[] = {\n' % name)
        for a, b in rs:
            w('    {0x%X, 0x%X},\n' % (a, b))
        w('};\nconst std::size_t %sCount = %d;\n\n' % (name, len(rs)))

    emit_ranges('kLetter', ranges(lambda cp: cat(cp)[0] == 'L'), r'\p{L}: categories Lu Ll Lt Lm Lo')
    emit_ranges('kNumber', ranges(lambda cp: cat(cp)[0] == 'N'), r'\p{N}: categories Nd Nl No')
    # The regex module's \s is the Unicode White_Space property; Python's
    # str.isspace()/strip() additionally treat U+001C..U+001F as space.
    import regex  # noqa: needed only to read its \s definition
    emit_ranges('kRegexSpace', ranges(lambda cp: regex.match(r'\s', chr(cp)) is not None),
                r'the regex module\'s \s (Unicode White_Space)')
    emit_ranges('kPySpace', ranges(lambda cp: chr(cp).isspace()), 'Python str.isspace()')

    # Final sigma (Python's str.lower() implements SpecialCasing's
    # Final_Sigma): which code points count as cased / case-ignorable, read
    # off str.lower() itself.
    def cased(cp):
        return (chr(cp) + '\u03a3').lower()[-1] == '\u03c2'

    def case_ignorable(cp):
        return not cased(cp) and ('a' + chr(cp) + '\u03a3').lower()[-1] == '\u03c2'

    emit_ranges('kCased', ranges(cased), 'cased for Final_Sigma, as str.lower() decides it')
    emit_ranges('kCaseIgnorable', ranges(case_ignorable), 'case-ignorable for Final_Sigma')

    runs, multi = lower_runs()
    w('// str.lower() for single code points: cp in [first, last] stepping by\n'
      '// stride maps to cp + delta.\n')
    w('const LowerRun kLower[] = {\n')
    for a, b, d, s in runs:
        w('    {0x%X, 0x%X, %d, %d},\n' % (a, b, d, s))
    w('};\nconst std::size_t kLowerCount = %d;\n\n' % len(runs))
    w('// str.lower() results longer than one code point.\n')
    w('const LowerMulti kLowerMulti[] = {\n')
    for cp, low in multi:
        w('    {0x%X, %s},\n' % (cp, c_str(low)))
    w('};\nconst std::size_t kLowerMultiCount = %d;\n\n' % len(multi))

    ents = sorted(html.entities.html5.items())
    w('// html.entities.html5, sorted by name (names include the \';\' where the\n'
      '// standard requires it).\n')
    w('const HtmlEntity kHtmlEntities[] = {\n')
    for name, value in ents:
        w('    {%s, %s},\n' % (c_str(name), c_str(value)))
    w('};\nconst std::size_t kHtmlEntitiesCount = %d;\n\n' % len(ents))

    w('// html._invalid_charrefs: numeric references the HTML standard remaps.\n')
    w('const CharRefFix kInvalidCharRefs[] = {\n')
    for num, value in sorted(html._invalid_charrefs.items()):
        w('    {0x%X, 0x%X},\n' % (num, ord(value)))
    w('};\nconst std::size_t kInvalidCharRefsCount = %d;\n\n' % len(html._invalid_charrefs))
    emit_ranges('kInvalidCodepoints', ranges(lambda cp: cp in html._invalid_codepoints),
                'html._invalid_codepoints: numeric references that unescape to nothing')
    emit_ranges('kDecimalDigit', ranges(lambda cp: cat(cp) == 'Nd'),
                r"category Nd: what Python's re module matches with \d in a str pattern")
    normalization_tables(w)
    ftfy_tables(w)
    w('}  // namespace unicode_tables\n}  // namespace refseg\n')


if __name__ == '__main__':
    main()
