#include "tokenizer/merges_file.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/model_error.h"

namespace refseg {
namespace {

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};

// Reads all of a gzip file, checking that it is one and that it is whole.
std::string read_gzip(const std::string &path) {
  {
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
    if (!f)
      throw ModelError("BPE vocabulary '" + path + "': cannot open (" + std::strerror(errno) + ")");
    unsigned char magic[2] = {0, 0};
    // zlib would read a plain file transparently; a vocabulary must be gzip.
    if (std::fread(magic, 1, 2, f.get()) != 2 || magic[0] != 0x1f || magic[1] != 0x8b)
      throw ModelError("BPE vocabulary '" + path +
                       "': not a gzip file (expected the bytes 1f 8b at the start)");
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw ModelError("BPE vocabulary '" + path + "': gzopen failed");
  std::string data;
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
  int err = Z_OK;
  const char *msg = gzerror(gz, &err);
  const std::string detail = msg != nullptr ? msg : "";
  const int close_status = gzclose_r(gz);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END) || close_status == Z_BUF_ERROR)
    throw ModelError("BPE vocabulary '" + path + "': truncated or corrupt gzip data (" +
                     (detail.empty() ? std::string("stream ends early") : detail) + ")");
  return data;
}

}  // namespace

BpeMerges read_merges_gz(const std::string &path) {
  const std::string data = read_gzip(path);
  BpeMerges merges;
  std::size_t line_no = 0, pos = 0;
  std::vector<std::size_t> blank_lines;  // allowed only at the end
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1) {
      // OpenAI's reads '"bpe_simple_vocab_16e6.txt#version: 0.2'.
      if (line.find("#version") == std::string::npos)
        throw ModelError("BPE vocabulary '" + path +
                         "': line 1 should be a '#version' header, found '" + line.substr(0, 60) +
                         "'");
      continue;
    }
    if (line.empty()) {
      blank_lines.push_back(line_no);
      continue;
    }
    if (!blank_lines.empty())
      throw ModelError("BPE vocabulary '" + path + "': line " +
                       std::to_string(blank_lines.front()) + " is empty");
    const std::size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string::npos || sp + 1 == line.size() ||
        line.find_first_of(" \t", sp + 1) != std::string::npos)
      throw ModelError("BPE vocabulary '" + path + "': line " + std::to_string(line_no) +
                       ": expected two symbols separated by one space, found '" +
                       line.substr(0, 60) + "'");
    merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  }
  if (merges.empty())
    throw ModelError("BPE vocabulary '" + path + "': too few merges (found none after the header)");
  return merges;
}

void write_merges_gz(const std::string &path, const BpeMerges &merges) {
  std::string text = "#version: 0.2\n";
  for (std::size_t i = 0; i < merges.size(); ++i) {
    for (const std::string *sym : {&merges[i].first, &merges[i].second})
      if (sym->empty() || sym->find_first_of(" \t\r\n") != std::string::npos)
        throw ModelError("BPE merges for '" + path + "': merge " + std::to_string(i) +
                         " has an empty symbol or one containing whitespace");
    text += merges[i].first + ' ' + merges[i].second + '\n';
  }
  gzFile gz = gzopen(path.c_str(), "wb");
  if (gz == nullptr)
    throw ModelError("BPE merges '" + path + "': cannot open for writing (" + std::strerror(errno) +
                     ")");
  const int written = gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  const int close_status = gzclose_w(gz);
  if (written != static_cast<int>(text.size()) || close_status != Z_OK)
    throw ModelError("BPE merges '" + path + "': writing failed");
}

}  // namespace refseg
