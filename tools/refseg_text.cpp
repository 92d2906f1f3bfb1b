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
#include "language/spatial_expression.h"
#include "runtime/model_locator.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/text_cleaning.h"
#include "tokenizer/unicode_props.h"
#include "tool_options.h"

namespace {

constexpr const char *kOpenAiVocabulary = "bpe_simple_vocab_16e6.txt.gz";

constexpr const char *kTool = "refseg_text";

const char *kDescription =
    "For each referring expression: the text as the tokenizer cleans it (ftfy's fixes,\n"
    "HTML entities, whitespace, lower case), the target noun phrase the selector\n"
    "uses, and the token ids of sentence and phrase ([SOT, ids..., EOT], truncated to\n"
    "the context length as the text tower gets them, padding left out).\n"
    "\n"
    "The spatial line is what refsegselector's `spatial` resolves over the proposals'\n"
    "geometry (docs/spatial.md): the target description and the words of place,\n"
    "relation and order found, or none.\n"
    "\n"
    "JSON (--json): {vocabulary, context_length, parser, texts: [{text, cleaned, phrase,\n"
    "phrase_cleaned, sentence_ids, phrase_ids, sentence_truncated, spatial}]}, spatial\n"
    "null or {summary, target, resolvable, relation, anchor}. Text that is not\n"
    "UTF-8 is written with U+FFFD for each invalid byte, as the tokenizer reads it.\n"
    "\n"
    "The phrase is a span of the text as written; when it is empty (blank text) the\n"
    "selector encodes the whole text, and phrase_ids are those of the whole text.\n"
    "A text starting with '-' goes after --.\n"
    "\n"
    "Exit status: 0 done, 1 the work failed (a file, the model), 2 bad arguments.\n";

struct Options {
  std::string vocab, model;
  int context = 0;  // 0: the default (77, or the model's)
  bool json = false;
  std::vector<std::string> texts;
};

[[noreturn]] void fail(const std::string &message) {
  refseg::tools::exit_with(kTool, message, refseg::tools::kFailure);
}

Options parse(int argc, char **argv) {
  Options o;
  gchar *vocab = nullptr, *model = nullptr;
  gint context = G_MININT;  // not given
  gboolean json = FALSE;
  gchar **texts = nullptr;  // as given, bytes and all (no locale conversion)
  const GOptionEntry entries[] = {
      {"vocab", 0, 0, G_OPTION_ARG_FILENAME, &vocab,
       "BPE vocabulary (gzip merges). Default: OpenAI's bpe_simple_vocab_16e6.txt.gz in the "
       "models directories, else $REFSEG_CLIP_VOCAB",
       "F"},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model,
       "The vocabulary and context length of this CLIP model (a name such as refseg-tiny, or a "
       ".pt path); reads the archive",
       "M"},
      {"context", 0, 0, G_OPTION_ARG_INT, &context,
       "Context length, 2 (SOT and EOT) to 100000 (default 77, OpenAI's; with --model the "
       "model's)",
       "N"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON instead of text (below)", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &texts, nullptr, "TEXT..."},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(kTool, "TEXT... - what the selector does with an expression",
                               "No image or model weights are involved.", kDescription, entries,
                               nullptr, &argc, &argv);
  o.vocab = vocab ? vocab : "";
  o.model = model ? model : "";
  g_free(vocab);
  g_free(model);
  o.json = json;
  o.texts = refseg::tools::take_strings(texts);
  if (context != G_MININT)
    o.context = refseg::tools::int_in_range(kTool, "--context", context, 2, 100000);
  if (o.texts.empty()) refseg::tools::usage_error(kTool, "no text given");
  if (!o.vocab.empty() && !o.model.empty())
    refseg::tools::usage_error(kTool, "give --vocab or --model, not both");
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
       "\nand $REFSEG_CLIP_VOCAB is not set (gst-refseg-download fetches it; or give "
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
    refseg::tools::Json doc;
    doc["vocabulary"] = vocab;
    doc["context_length"] = context;
    doc["parser"] = phrases.has_parser() ? "link-grammar" : "heuristic";
    doc["texts"] = refseg::tools::Json::array();
    for (std::size_t t = 0; t < o.texts.size(); ++t) {
      const std::string &text = o.texts[t];
      const std::string phrase = phrases.target_phrase(text);
      const std::string encoded_phrase = phrase.empty() ? text : phrase;  // as the selector
      bool truncated = false;
      const std::vector<int64_t> sentence_ids = token_ids(tok, text, context, &truncated);
      const std::vector<int64_t> phrase_ids = token_ids(tok, encoded_phrase, context, nullptr);
      // What refsegselector's `spatial` resolves over the geometry (none:
      // the expression is scored as the paper does).
      const refseg::SpatialExpression parsed = refseg::parse_spatial_expression(text);
      const bool spatial_words = parsed.spatial() || !parsed.fallback_reason.empty();
      if (o.json) {
        refseg::tools::Json entry;
        entry["text"] = text;
        entry["cleaned"] = cleaned(text);
        entry["phrase"] = phrase;
        entry["phrase_cleaned"] = cleaned(encoded_phrase);
        entry["sentence_ids"] = sentence_ids;
        entry["phrase_ids"] = phrase_ids;
        entry["sentence_truncated"] = truncated;
        if (spatial_words) {
          refseg::tools::Json spatial;
          spatial["summary"] = refseg::describe_spatial(parsed);
          spatial["target"] = parsed.target;
          spatial["resolvable"] = parsed.spatial();
          if (parsed.has_relation) {
            spatial["relation"] = refseg::spatial_relation_name(parsed.relation);
            spatial["anchor"] = parsed.anchor;
          }
          entry["spatial"] = std::move(spatial);
        } else {
          entry["spatial"] = nullptr;
        }
        doc["texts"].push_back(std::move(entry));
      } else {
        if (t) out << '\n';
        out << "text:         " << text << "\ncleaned:      " << cleaned(text)
            << "\nphrase:       " << phrase << "\nsentence ids: ";
        print_ids(out, sentence_ids);
        if (truncated) out << " (truncated to " << context << ")";
        out << "\nphrase ids:   ";
        print_ids(out, phrase_ids);
        out << "\nspatial:      " << (spatial_words ? refseg::describe_spatial(parsed) : "none")
            << '\n';
      }
    }
    if (o.json) out << refseg::tools::dump_json(doc) << '\n';
    std::cout << out.str();
  } catch (const std::exception &e) {
    fail(e.what());
  }
  return 0;
}
