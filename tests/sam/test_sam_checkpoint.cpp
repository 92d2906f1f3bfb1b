// Reading the SAM family's checkpoints: each released layout (small random
// fixtures in tests/fixtures/sam written by scripts/make_sam_fixtures.py) and
// every refused file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/model_error.h"
#include "sam/sam_checkpoint.h"

using refseg::ModelError;
using namespace refseg::sam;

namespace {

std::string temp_path(const std::string &name) {
  return ::testing::TempDir() + "/sam_ckpt_" + name;
}

void write_file(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The message of the ModelError that `f` throws ("" when none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SamCheckpoint, MissingFileIsRefusedNamingIt) {
  const std::string path = temp_path("does_not_exist.pth");
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(SamCheckpoint, NotAZipIsRefused) {
  const std::string path = temp_path("text.pth");
  write_file(path, "this is not a checkpoint\n");
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a zip archive"), std::string::npos) << msg;
}
