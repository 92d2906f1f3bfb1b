// refseg_text: what the selector does with an expression before any image
// or model is involved: the cleaned text the tokenizer sees, the target
// noun phrase (METHOD.md t_l) and the token ids of sentence and phrase.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "clip/clip_model.h"
#include "clip/openai_weights.h"
#include "json_output.h"
#include "language/noun_phrase.h"
#include "runtime/model_locator.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/text_cleaning.h"
#include "tokenizer/unicode_props.h"

namespace {

constexpr const char *kOpenAiVocabulary = "bpe_simple_vocab_16e6.txt.gz";

const char *kUsage =
    "usage: refseg_text [options] TEXT...\n"
    "\n"
    "For each referring expression: the text as the tokenizer cleans it (ftfy's fixes,\n"
    "HTML entities, whitespace, lower case), the target noun phrase the selector\n"
    "uses, and the token ids of sentence and phrase ([SOT, ids..., EOT], truncated to\n"
    "the context length as the text tower gets them, padding left out).\n"
    "\n"
    "  --vocab F     BPE vocabulary (gzip merges). Default: OpenAI's\n"
    "                bpe_simple_vocab_16e6.txt.gz in the models directories, else\n"
    "                $REFSEG_CLIP_VOCAB\n"
    "  --model M     the vocabulary and context length of this CLIP model (a name such\n"
    "                as refseg-tiny, or a .pt path); reads the archive\n"
    "  --context N   context length (default 77, OpenAI's; with --model the model's)\n"
    "  --json        JSON instead of text: {vocabulary, context_length, parser,\n"
    "                texts: [{text, cleaned, phrase, phrase_cleaned, sentence_ids,\n"
    "                phrase_ids, sentence_truncated}]}\n"
    "\n"
    "The phrase is a span of the text as written; when it is empty (blank text) the\n"
    "selector encodes the whole text, and phrase_ids are those of the whole text.\n";

struct Options {
  std::string vocab, model;
  int context = 0;  // 0: the default (77, or the model's)
  bool json = false;
  std::vector<std::string> texts;
};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "refseg_text: %s\n", message.c_str());
  std::exit(1);
}

int parse_context(const std::string &value) {
  char *end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < 2 || n > 100000)
    fail("--context needs a whole number from 2 (SOT and EOT) up, got '" + value + "'");
  return static_cast<int>(n);
}

Options parse(int argc, char **argv) {
  Options o;
  bool options_done = false;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + " needs a value (see --help)");
      return argv[++i];
    };
    if (options_done || arg.empty() || arg[0] != '-') {
      o.texts.push_back(arg);
    } else if (arg == "--") {
      options_done = true;  // what follows is text, even "-left"
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--vocab") {
      o.vocab = value();
    } else if (arg == "--model") {
      o.model = value();
    } else if (arg == "--context") {
      o.context = parse_context(value());
    } else if (arg == "--json") {
      o.json = true;
    } else {
      fail("unknown argument " + arg + " (see --help; a text starting with '-' goes after --)");
    }
  }
  if (o.texts.empty()) fail("no text given (see --help)");
  if (!o.vocab.empty() && !o.model.empty()) fail("give --vocab or --model, not both");
  return o;
}

// OpenAI's vocabulary without any model archive: the models directories,
// then $REFSEG_CLIP_VOCAB (the order locate_vocabulary() uses after the
// archive's own directory).
std::string default_vocabulary() {
  std::string searched;
  for (const std::string &dir : refseg::model_directories()) {
    const std::string path = dir + "/" + kOpenAiVocabulary;
    if (std::FILE *f = std::fopen(path.c_str(), "rb")) {
      std::fclose(f);
      return path;
    }
    searched += "\n  " + path;
  }
  if (const char *env = std::getenv("REFSEG_CLIP_VOCAB"); env && *env) return env;
  fail(std::string("no BPE vocabulary: ") + kOpenAiVocabulary + " is in none of" + searched +
       "\nand $REFSEG_CLIP_VOCAB is not set (scripts/download-models.sh fetches it; or give "
       "--vocab F or --model M)");
}

// [SOT, ids..., EOT] as the text tower gets them, without the padding.
std::vector<int64_t> token_ids(const refseg::BpeTokenizer &tok, const std::string &text,
                               int context, bool *truncated) {
  std::vector<int64_t> ids = tok.tokenize(text, context);
  while (!ids.empty() && ids.back() == 0) ids.pop_back();
  if (truncated) *truncated = tok.encode(text).size() + 2 > static_cast<std::size_t>(context);
  return ids;
}

std::string cleaned(const std::string &text) {
  return refseg::unicode::encode_utf8(refseg::text::clean(text));
}

void print_ids(std::ostream &out, const std::vector<int64_t> &ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  try {
    std::string vocab = o.vocab;
    int context = o.context ? o.context : 77;
    if (!o.model.empty()) {
      const std::string weights = refseg::locate_clip_model(o.model);
      vocab = refseg::locate_vocabulary(weights);
      if (!o.context) context = refseg::clip::load_openai_clip(weights)->config().context_length;
    } else if (vocab.empty()) {
      vocab = default_vocabulary();
    }
    const refseg::BpeTokenizer tok = refseg::BpeTokenizer::from_file(vocab);
    const refseg::NounPhraseExtractor phrases;

    std::ostringstream out;
    using refseg::tools::json_string;
    if (o.json)
      out << "{\"vocabulary\":" << json_string(vocab) << ",\"context_length\":" << context
          << ",\"parser\":" << json_string(phrases.has_parser() ? "link-grammar" : "heuristic")
          << ",\"texts\":[";
    for (std::size_t t = 0; t < o.texts.size(); ++t) {
      const std::string &text = o.texts[t];
      const std::string phrase = phrases.target_phrase(text);
      const std::string encoded_phrase = phrase.empty() ? text : phrase;  // as the selector
      bool truncated = false;
      const std::vector<int64_t> sentence_ids = token_ids(tok, text, context, &truncated);
      const std::vector<int64_t> phrase_ids = token_ids(tok, encoded_phrase, context, nullptr);
      if (o.json) {
        out << (t ? "," : "") << "{\"text\":" << json_string(text)
            << ",\"cleaned\":" << json_string(cleaned(text))
            << ",\"phrase\":" << json_string(phrase)
            << ",\"phrase_cleaned\":" << json_string(cleaned(encoded_phrase))
            << ",\"sentence_ids\":";
        refseg::tools::write_array(out, sentence_ids.data(), sentence_ids.size());
        out << ",\"phrase_ids\":";
        refseg::tools::write_array(out, phrase_ids.data(), phrase_ids.size());
        out << ",\"sentence_truncated\":" << (truncated ? "true" : "false") << '}';
      } else {
        if (t) out << '\n';
        out << "text:         " << text << "\ncleaned:      " << cleaned(text)
            << "\nphrase:       " << phrase << "\nsentence ids: ";
        print_ids(out, sentence_ids);
        if (truncated) out << " (truncated to " << context << ")";
        out << "\nphrase ids:   ";
        print_ids(out, phrase_ids);
        out << '\n';
      }
    }
    if (o.json) out << "]}";
    std::cout << out.str() << (o.json ? "\n" : "");
  } catch (const std::exception &e) {
    fail(e.what());
  }
  return 0;
}
