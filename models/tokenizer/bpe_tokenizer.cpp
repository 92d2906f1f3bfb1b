#include "tokenizer/bpe_tokenizer.h"

#include <limits>
#include <mutex>
#include <unordered_map>

#include "common/model_error.h"
#include "tokenizer/byte_unicode.h"
#include "tokenizer/text_cleaning.h"
#include "tokenizer/unicode_props.h"

namespace refseg {
namespace {

const char kSot[] = "<|startoftext|>";
const char kEot[] = "<|endoftext|>";
const char kEndOfWord[] = "</w>";

// Pieces seen by one tokenizer are few (words of referring expressions), so
// the cache rarely fills; when it does it is simply emptied.
constexpr std::size_t kMaxCacheEntries = 1 << 16;

std::string pair_key(const std::string &a, const std::string &b) {
  return a + ' ' + b;
}

}  // namespace

struct BpeTokenizer::State {
  ByteUnicode bytes;
  std::vector<std::string> vocab;                // id -> symbol
  std::unordered_map<std::string, int> encoder;  // symbol -> id (the last id wins, as a dict)
  std::unordered_map<std::string, int> ranks;    // "first second" -> merge rank
  std::size_t merges = 0;

  std::mutex cache_mutex;
  std::unordered_map<std::string, std::vector<int>> cache;  // piece -> ids
};

BpeTokenizer::BpeTokenizer(std::shared_ptr<State> state) : state_(std::move(state)) {}

BpeTokenizer BpeTokenizer::from_file(const std::string &gz_path) {
  BpeMerges merges = read_merges_gz(gz_path);
  if (merges.size() > kOpenAiMerges) merges.resize(kOpenAiMerges);
  return from_merges(std::move(merges));
}

BpeTokenizer BpeTokenizer::from_merges(BpeMerges merges) {
  auto s = std::make_shared<State>();
  const auto &chars = s->bytes.ordered_chars();
  s->vocab.reserve(512 + merges.size() + 2);
  for (const std::string &c : chars) s->vocab.push_back(c);
  for (const std::string &c : chars) s->vocab.push_back(c + kEndOfWord);
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const auto &[first, second] = merges[r];
    if (first.empty() || second.empty())
      throw ModelError("BPE merges: merge " + std::to_string(r) + " has an empty symbol");
    s->vocab.push_back(first + second);
    s->ranks[pair_key(first, second)] = static_cast<int>(r);
  }
  s->vocab.push_back(kSot);
  s->vocab.push_back(kEot);
  for (std::size_t id = 0; id < s->vocab.size(); ++id)
    s->encoder[s->vocab[id]] = static_cast<int>(id);
  s->merges = merges.size();
  return BpeTokenizer(std::move(s));
}

int BpeTokenizer::sot() const {
  return static_cast<int>(state_->vocab.size()) - 2;
}
int BpeTokenizer::eot() const {
  return static_cast<int>(state_->vocab.size()) - 1;
}
std::size_t BpeTokenizer::vocab_size() const {
  return state_->vocab.size();
}
std::size_t BpeTokenizer::merge_count() const {
  return state_->merges;
}

// OpenAI's bpe(): repeatedly merge every occurrence of the lowest-ranked
// adjacent pair until no adjacent pair is a merge.
std::vector<int> BpeTokenizer::bpe_piece(const std::string &piece) const {
  const State &s = *state_;
  if (piece == kSot) return {sot()};
  if (piece == kEot) return {eot()};
  {
    std::lock_guard<std::mutex> lock(state_->cache_mutex);
    auto it = state_->cache.find(piece);
    if (it != state_->cache.end()) return it->second;
  }
  std::vector<std::string> word;
  word.reserve(piece.size());
  for (unsigned char b : piece) word.push_back(s.bytes.encode(b));
  if (word.empty()) return {};
  word.back() += kEndOfWord;

  while (word.size() > 1) {
    int best_rank = std::numeric_limits<int>::max();
    std::size_t best = 0;
    for (std::size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = s.ranks.find(pair_key(word[i], word[i + 1]));
      if (it != s.ranks.end() && it->second < best_rank) best_rank = it->second, best = i;
    }
    if (best_rank == std::numeric_limits<int>::max()) break;
    const std::string first = word[best], second = word[best + 1];
    std::vector<std::string> merged;
    merged.reserve(word.size());
    for (std::size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word.swap(merged);
  }

  std::vector<int> ids;
  ids.reserve(word.size());
  for (const std::string &sym : word) {
    auto it = s.encoder.find(sym);
    if (it == s.encoder.end())  // cannot happen: every merge result is in the vocabulary
      throw ModelError("BPE tokenizer: symbol '" + sym + "' is not in the vocabulary");
    ids.push_back(it->second);
  }
  std::lock_guard<std::mutex> lock(state_->cache_mutex);
  if (state_->cache.size() >= kMaxCacheEntries) state_->cache.clear();
  state_->cache.emplace(piece, ids);
  return ids;
}

std::vector<int> BpeTokenizer::encode(const std::string &text) const {
  std::vector<int> ids;
  for (const std::string &piece : text::split_pieces(text::clean(text))) {
    const std::vector<int> piece_ids = bpe_piece(piece);
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  return ids;
}

std::vector<int64_t> BpeTokenizer::tokenize(const std::string &text, int context_length) const {
  if (context_length < 2)
    throw ModelError("BPE tokenizer: context_length must be at least 2 (SOT and EOT), got " +
                     std::to_string(context_length));
  const std::vector<int> ids = encode(text);
  std::vector<int64_t> out(static_cast<std::size_t>(context_length), 0);
  out[0] = sot();
  const std::size_t room = static_cast<std::size_t>(context_length) - 2;
  const std::size_t n = std::min(ids.size(), room);
  for (std::size_t i = 0; i < n; ++i) out[1 + i] = ids[i];
  out[1 + n] = eot();
  return out;
}

std::string BpeTokenizer::decode(const std::vector<int> &ids) const {
  const State &s = *state_;
  std::string symbols;
  for (int id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= s.vocab.size())
      throw ModelError("BPE tokenizer: cannot decode id " + std::to_string(id) +
                       " (vocabulary has " + std::to_string(s.vocab.size()) + " entries)");
    symbols += s.vocab[static_cast<std::size_t>(id)];
  }
  std::string raw;
  for (char32_t cp : unicode::decode_utf8(symbols)) {
    const int byte = s.bytes.decode(cp);
    if (byte < 0)  // a learnt merge symbol outside the byte alphabet
      unicode::append_utf8(cp, raw);
    else
      raw.push_back(static_cast<char>(byte));
  }
  std::string text = unicode::encode_utf8(unicode::decode_utf8(raw));
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 4, kEndOfWord) == 0) {
      out.push_back(' ');
      i += 4;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace refseg
