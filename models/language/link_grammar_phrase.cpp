#include "language/link_grammar_phrase.h"

#include <link-grammar/link-includes.h>

#include <langinfo.h>
#include <locale.h>
#include <algorithm>
#include <clocale>
#include <cstring>
#include <set>
#include <vector>

#include "language/expression_text.h"
#include "language/heuristic_noun_phrase.h"

namespace refseg {

namespace {

// link-grammar reports through a per-thread error handler whose default
// prints to stdout/stderr (the English dictionary complains about missing
// locales). Swallow everything while we call into the library, then put
// back whatever the application had installed.
void swallow_message(lg_errinfo *, void *) {}

class QuietLinkGrammar {
 public:
  QuietLinkGrammar()
      : data_(lg_error_set_handler_data(nullptr)),
        handler_(lg_error_set_handler(swallow_message, nullptr)) {}
  ~QuietLinkGrammar() { lg_error_set_handler(handler_, const_cast<void *>(data_)); }
  QuietLinkGrammar(const QuietLinkGrammar &) = delete;
  QuietLinkGrammar &operator=(const QuietLinkGrammar &) = delete;

 private:
  const void *data_;
  lg_error_handler handler_;
};

// The library wants a UTF-8 LC_CTYPE (it decodes with mbrtowc) and, when
// the calling thread's codeset is not UTF-8, force-sets one for the whole
// process with setlocale(), which races with every other thread's use of
// the locale. Instead the calling thread alone switches to a UTF-8 LC_CTYPE
// (uselocale, per thread) for the duration of a call, and back; parses
// never touch the process's locale. Loading the dictionary still does, for
// an instant: link-grammar checks the dictionary's locale with
// setlocale(LC_CTYPE, "C.UTF-8") and restores the old one (Debian 12's
// 5.12, seen in gdb), once per extractor, at an element's start.
class ThreadUtf8Ctype {
 public:
  explicit ThreadUtf8Ctype(locale_t utf8) {
    const char *codeset = nl_langinfo(CODESET);  // the calling thread's locale
    if (!utf8 || (codeset && std::strcmp(codeset, "UTF-8") == 0)) return;
    previous_ = uselocale(utf8);
  }
  ~ThreadUtf8Ctype() {
    if (previous_) uselocale(previous_);
  }
  ThreadUtf8Ctype(const ThreadUtf8Ctype &) = delete;
  ThreadUtf8Ctype &operator=(const ThreadUtf8Ctype &) = delete;

 private:
  locale_t previous_ = nullptr;
};

// A locale object: LC_CTYPE UTF-8, everything else "C". nullptr when the
// system has no UTF-8 locale at all (then link-grammar falls back on its
// own global setlocale, the one thing left that is not thread-safe).
locale_t new_utf8_ctype() {
  for (const char *name : {"C.UTF-8", "en_US.UTF-8"}) {
    if (locale_t l = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr))) return l;
  }
  return nullptr;
}

// Parses longer than this are cut off; the heuristic answers instead.
// link-grammar checks the timer only between stages, so one parse may run
// well past it (seconds on runs of dots): the caps below keep such input
// away from the parser, and after one expired parse no other is tried.
constexpr int kMaxParseSeconds = 1;
// Expressions with more words than this skip the parser (cost grows ~n^3).
constexpr std::size_t kMaxWords = 40;
// ... and so do those with more ASCII punctuation than this: runs of dots
// and other punctuation split into many alternative tokens ("...", ".")
// and are what makes a short text cost seconds (six runs of 16 dots and
// "the zebra": 2-10 s per parse with the 1 s limit set). A referring
// expression has a few commas, hyphens or apostrophes.
constexpr std::size_t kMaxPunctuation = 8;
// Cap on link-grammar's own count of the carrier sentence's tokens after
// splitting (alternatives included; a 40-word expression has about 60).
constexpr std::size_t kMaxTokens = 2 * kMaxWords;

// Links from a pre-modifier to the noun it modifies (or to another
// pre-modifier): determiners (D*), adjectives and noun modifiers (A, AN, AJ
// for "red and white"), given names (G, GN), adverbs on adjectives (E*),
// possessive 's (Y*), numbers (N*, NM), superlative "the" (L).
bool is_premodifier_link(const char *label) {
  switch (label[0]) {
    case 'D':
    case 'A':
    case 'G':
    case 'E':
    case 'Y':
    case 'L':
      return true;
    case 'N':
      return label[1] != '\0' && label[1] != 'O';
    default:
      return false;
  }
}

bool is_participle(const std::string &word) {
  return word.size() > 4 && word.compare(word.size() - 3, 3, "ing") == 0;
}

// A linkage word as "man.n", "black.n-u", "blakc[?].n", "[in]" (null word).
struct ParsedWord {
  std::string text;  // without the dictionary subscript, lower-cased
  std::string tag;   // subscript after the last '.', e.g. "n", "a", "v-d"
  bool null_word = false;
  std::size_t begin = 0, end = 0;  // bytes in the carrier sentence
};

struct Carrier {
  std::string prefix;   // text before the expression
  bool expects_object;  // the head is the object of the carrier's "is"
};

}  // namespace

struct LinkGrammarPhraseFinder::Handles {
  Dictionary dict = nullptr;
  Parse_Options opts = nullptr;
  locale_t utf8 = new_utf8_ctype();
  ~Handles() {
    {
      QuietLinkGrammar quiet;
      ThreadUtf8Ctype ctype(utf8);
      if (opts) parse_options_delete(opts);
      if (dict) dictionary_delete(dict);
    }
    if (utf8) freelocale(utf8);
  }
};

std::unique_ptr<LinkGrammarPhraseFinder> LinkGrammarPhraseFinder::create() {
  QuietLinkGrammar quiet;
  auto handles = std::make_unique<Handles>();
  ThreadUtf8Ctype ctype(handles->utf8);
  handles->dict = dictionary_create_lang("en");
  if (!handles->dict) return nullptr;
  handles->opts = parse_options_create();
  if (!handles->opts) return nullptr;
  parse_options_set_verbosity(handles->opts, 0);
  parse_options_set_max_parse_time(handles->opts, kMaxParseSeconds);
  parse_options_set_linkage_limit(handles->opts, 100);
  parse_options_set_repeatable_rand(handles->opts, true);  // same answer every run
  parse_options_set_spell_guess(handles->opts, 0);         // typos stay unknown nouns
  return std::unique_ptr<LinkGrammarPhraseFinder>(new LinkGrammarPhraseFinder(std::move(handles)));
}

LinkGrammarPhraseFinder::LinkGrammarPhraseFinder(std::unique_ptr<Handles> handles)
    : handles_(std::move(handles)) {}

LinkGrammarPhraseFinder::~LinkGrammarPhraseFinder() = default;

namespace {

// Owns one parsed sentence and its best linkage.
class ParsedSentence {
 public:
  ParsedSentence(const std::string &text, Dictionary dict, Parse_Options opts, int max_nulls) {
    sentence_ = sentence_create(text.c_str(), dict);
    if (!sentence_) return;
    parse_options_set_min_null_count(opts, 0);
    parse_options_set_max_null_count(opts, max_nulls);
    parse_options_reset_resources(opts);
    if (sentence_split(sentence_, opts) != 0) return;
    if (sentence_length(sentence_) < 0 ||
        static_cast<std::size_t>(sentence_length(sentence_)) > kMaxTokens) {
      too_costly_ = true;
      return;
    }
    const int found = sentence_parse(sentence_, opts);
    if (parse_options_timer_expired(opts) || parse_options_resources_exhausted(opts)) {
      too_costly_ = true;
      return;
    }
    if (found <= 0) return;
    if (sentence_num_valid_linkages(sentence_) <= 0) return;
    linkage_ = linkage_create(0, sentence_, opts);
    if (!linkage_) return;
    const std::size_t n = linkage_get_num_words(linkage_);
    words_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const char *raw = linkage_get_word(linkage_, i);
      std::string w = raw ? raw : "";
      ParsedWord &pw = words_[i];
      pw.null_word = w.size() >= 2 && w.front() == '[' && w.back() == ']';
      if (pw.null_word) w = w.substr(1, w.size() - 2);  // "[on]"
      const std::size_t dot = w.rfind('.');
      if (dot != std::string::npos && dot > 0 && dot + 1 < w.size()) {
        pw.tag = w.substr(dot + 1);
        w.resize(dot);
      }
      const std::size_t guess = w.find('[');
      if (guess != std::string::npos && guess > 0) w.resize(guess);  // "blakc[?]"
      for (char &c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      pw.text = w;
      pw.begin = linkage_get_word_byte_start(linkage_, i);
      pw.end = linkage_get_word_byte_end(linkage_, i);
    }
  }
  ~ParsedSentence() {
    if (linkage_) linkage_delete(linkage_);
    if (sentence_) sentence_delete(sentence_);
  }
  ParsedSentence(const ParsedSentence &) = delete;
  ParsedSentence &operator=(const ParsedSentence &) = delete;

  bool ok() const { return linkage_ != nullptr; }
  // Too many tokens, or the parse ran out of time: another parse of the
  // same expression would cost as much.
  bool too_costly() const { return too_costly_; }
  const std::vector<ParsedWord> &words() const { return words_; }
  Linkage linkage() const { return linkage_; }

 private:
  Sentence sentence_ = nullptr;
  Linkage linkage_ = nullptr;
  std::vector<ParsedWord> words_;
  bool too_costly_ = false;
};

bool is_nounish(const ParsedWord &w) {
  if (w.null_word) return false;
  if (w.tag.empty()) return true;  // pronoun-like "one", "this", unknown words
  const char t = w.tag[0];
  return t == 'n' || t == 's' || t == 'p' || t == 'g' || t == 'i' || t == 'x' || t == 'l' ||
         t == 'f' || t == 'm' || t == 'b' || t == 'y' || t == 't' || t == 'o' || t == 'e';
}

// Word index of the phrase head, or npos.
std::size_t find_head(const ParsedSentence &parse, std::size_t expr_begin, bool expects_object) {
  const Linkage lk = parse.linkage();
  const auto &words = parse.words();
  const std::size_t links = linkage_get_num_links(lk);
  auto in_expression = [&](std::size_t w) { return words[w].begin >= expr_begin; };
  auto object_of = [&](std::size_t verb) -> std::size_t {
    for (std::size_t l = 0; l < links; ++l) {
      const char *label = linkage_get_link_label(lk, l);
      if (linkage_get_link_lword(lk, l) == verb && label[0] == 'O' &&
          in_expression(linkage_get_link_rword(lk, l)))
        return linkage_get_link_rword(lk, l);
    }
    return std::string::npos;
  };
  if (expects_object) {
    // "this is the <expression>": the head is the object of "is".
    for (std::size_t w = 0; w < words.size(); ++w)
      if (!in_expression(w) && words[w].text == "is") return object_of(w);
    return std::string::npos;
  }
  // The bare expression as a sentence: the wall names the subject (Wd), a
  // noun-phrase fragment (Wa), or an imperative verb (Wi) whose object is
  // the target.
  for (std::size_t l = 0; l < links; ++l) {
    if (linkage_get_link_lword(lk, l) != 0) continue;
    const char *label = linkage_get_link_label(lk, l);
    const std::size_t r = linkage_get_link_rword(lk, l);
    if (label[0] != 'W' || !in_expression(r)) continue;
    if (label[1] == 'd' || label[1] == 'a') return r;
    if (label[1] == 'i') return object_of(r);
  }
  return std::string::npos;
}

// The base noun chunk around `head` as a span of the expression, or
// nullopt when the parse skipped a word inside it (then the parse glued
// words across the skipped one: "guy {in} blue shirt") or right after it.
std::optional<PhraseSpan> base_chunk(const ParsedSentence &parse, std::size_t head,
                                     std::size_t expr_begin, bool has_carrier_determiner) {
  const auto &words = parse.words();
  const Linkage lk = parse.linkage();
  auto in_expression = [&](std::size_t w) { return words[w].begin >= expr_begin; };
  // "the middle one": link-grammar makes "one" a post-modifier of "middle";
  // it is the head noun, as spaCy has it.
  if (head + 1 < words.size() && in_expression(head + 1) &&
      (words[head + 1].text == "one" || words[head + 1].text == "ones"))
    head = head + 1;

  // The head and every pre-modifier linked into it. The carrier's own "the"
  // takes part as a link hub (superlatives hang off it: "the smallest
  // elephant" links the-smallest) but never reaches the result.
  std::set<std::size_t> chunk = {head};
  auto may_join = [&](std::size_t w) {
    if (w >= head || words[w].null_word) return false;
    return in_expression(w) || (has_carrier_determiner && words[w].text == "the");
  };
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t l = 0; l < linkage_get_num_links(lk); ++l) {
      if (!is_premodifier_link(linkage_get_link_label(lk, l))) continue;
      const std::size_t a = linkage_get_link_lword(lk, l);
      const std::size_t b = linkage_get_link_rword(lk, l);
      for (std::size_t w : {a, b}) {
        const std::size_t other = w == a ? b : a;
        if (chunk.count(other) && !chunk.count(w) && may_join(w)) {
          chunk.insert(w);
          grew = true;
        }
      }
    }
  }
  std::size_t first = head;
  for (std::size_t w : chunk)
    if (in_expression(w)) first = std::min(first, w);
  for (std::size_t w = first; w <= head; ++w)
    if (words[w].null_word) return std::nullopt;
  // A skipped preposition after the head only lost its attachment ("dog
  // {on} left"); any other skipped word may belong to the chunk ("sandwich
  // {half}"), so the parse is not trusted.
  if (head + 1 < words.size() && words[head + 1].null_word &&
      !opens_post_modifier(words[head + 1].text))
    return std::nullopt;

  // link-grammar reads "woman holding umbrella" as a compound noun; an
  // "-ing" word right after a noun is a participle that starts a
  // post-modifier, so the chunk ends at the noun before it.
  // A preposition never sits inside a base noun chunk: link-grammar reads
  // "car behind bike" as a compound of three nouns and "cup of coffee" as
  // a quantity ("a lot of"); spaCy's chunk holding the root is "car",
  // "cup". The chunk ends before it.
  for (std::size_t w = first + 1; w <= head; ++w) {
    if ((is_participle(words[w].text) && is_nounish(words[w - 1]) &&
         !is_determiner(words[w - 1].text)) ||
        is_preposition(words[w].text)) {
      head = w - 1;
      break;
    }
  }
  return PhraseSpan{words[first].begin - expr_begin, words[head].end - words[first].begin};
}

}  // namespace

std::optional<PhraseSpan> LinkGrammarPhraseFinder::find(const std::string &normalized) {
  const std::vector<WordSpan> expr_words = split_words(normalized);
  if (expr_words.empty() || expr_words.size() > kMaxWords) return std::nullopt;
  const auto punctuation = std::count_if(normalized.begin(), normalized.end(), [](char c) {
    // ASCII only, whatever the locale.
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
  });
  if (static_cast<std::size_t>(punctuation) > kMaxPunctuation) return std::nullopt;
  QuietLinkGrammar quiet;
  ThreadUtf8Ctype ctype(handles_->utf8);

  // Fragments parse badly alone; "this is the man in black." parses as
  // intended. An expression with its own determiner gets no second one.
  const bool has_determiner = is_determiner(expr_words.front().lower);
  const std::vector<Carrier> carriers = {
      {has_determiner ? "this is " : "this is the ", true},
      {"", false},
  };
  // First a parse with every word linked, then one that may skip words.
  for (int max_nulls : {0, 2}) {
    for (const Carrier &carrier : carriers) {
      const std::string text = carrier.prefix + normalized + ".";
      const std::size_t expr_begin = carrier.prefix.size();
      const std::size_t expr_end = expr_begin + normalized.size();
      ParsedSentence parse(text, handles_->dict, handles_->opts, max_nulls);
      if (parse.too_costly()) return std::nullopt;
      if (!parse.ok()) continue;
      const auto &words = parse.words();
      const std::size_t head = find_head(parse, expr_begin, carrier.expects_object);
      if (head == std::string::npos || !is_nounish(words[head]) || words[head].end > expr_end)
        continue;

      const std::optional<PhraseSpan> phrase =
          base_chunk(parse, head, expr_begin, carrier.expects_object);
      if (phrase) return phrase;
    }
  }
  return std::nullopt;
}

}  // namespace refseg
