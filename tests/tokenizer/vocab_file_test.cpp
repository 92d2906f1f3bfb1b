// Bad vocabulary files give refseg::ModelError naming the file and the
// problem.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include "common/model_error.h"
#include "tokenizer/bpe_tokenizer.h"

namespace {

using refseg::BpeTokenizer;

std::string temp_path(const std::string &name) {
  return ::testing::TempDir() + "refseg_tok_" + std::to_string(::getpid()) + "_" + name;
}

void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string gzip_of(const std::string &text) {
  const std::string path = temp_path("gzip_of.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  return bytes;
}

// The message of the ModelError from_file throws, or "" when it does not.
std::string load_error(const std::string &path) {
  try {
    BpeTokenizer::from_file(path);
  } catch (const refseg::ModelError &e) {
    return e.what();
  }
  return "";
}

TEST(VocabFile, MissingFileIsNamed) {
  const std::string path = temp_path("does_not_exist.txt.gz");
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(VocabFile, PlainTextIsNotGzip) {
  const std::string path = temp_path("plain.txt");
  write_bytes(path, "#version: 0.2\nt h\n");
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a gzip file"), std::string::npos) << msg;
  std::remove(path.c_str());
}

TEST(VocabFile, TruncatedGzipIsReported) {
  std::string text = "#version: 0.2\n";
  for (int i = 0; i < 2000; ++i) text += "a" + std::to_string(i) + " b\n";
  const std::string gz = gzip_of(text);
  const std::string path = temp_path("truncated.gz");
  write_bytes(path, gz.substr(0, gz.size() / 2));
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  // The missing gzip trailer alone is also caught.
  write_bytes(path, gz.substr(0, gz.size() - 4));
  EXPECT_NE(load_error(path).find("truncated"), std::string::npos);
  std::remove(path.c_str());
}

TEST(VocabFile, HeaderOnlyHasTooFewMerges) {
  const std::string path = temp_path("header_only.gz");
  write_bytes(path, gzip_of("#version: 0.2\n"));
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find("too few merges"), std::string::npos) << msg;
  std::remove(path.c_str());
}

TEST(VocabFile, MalformedLinesAreNamed) {
  const std::string path = temp_path("malformed.gz");
  write_bytes(path, gzip_of("#version: 0.2\nt h\nabc\n"));
  EXPECT_NE(load_error(path).find("line 3"), std::string::npos) << load_error(path);
  write_bytes(path, gzip_of("t h\ni n\n"));
  EXPECT_NE(load_error(path).find("#version"), std::string::npos) << load_error(path);
  std::remove(path.c_str());
}

TEST(VocabFile, SmallFileUsesAllItsMerges) {
  const std::string path = temp_path("small.gz");
  write_bytes(path, gzip_of("#version: 0.2\nd o\ndo g</w>\n"));
  const BpeTokenizer tok = BpeTokenizer::from_file(path);
  EXPECT_EQ(tok.merge_count(), 2u);
  EXPECT_EQ(tok.vocab_size(), 512u + 2 + 2);
  EXPECT_EQ(tok.sot(), 514);
  EXPECT_EQ(tok.eot(), 515);
  EXPECT_EQ(tok.encode("dog"), std::vector<int>{513});  // the second merge's id
  std::remove(path.c_str());
}

}  // namespace
