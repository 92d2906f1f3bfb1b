// The OpenAI parity tests' main: without OpenAI's vocabulary (never
// committed) the whole program is skipped with meson's skip code, 77, and a
// message naming the file and where it was looked for, so that a plain
// clone reports it as skipped, not failed, and CI, which has the file,
// runs it.
#include <gtest/gtest.h>

#include <cstdio>

#include "test_paths.h"

int main(int argc, char **argv) {
  if (!refseg_test::have_file(refseg_test::clip_vocab_path())) {
    std::printf("SKIP: %s\n", refseg_test::missing_openai_file("BPE vocabulary",
                                                               refseg_test::clip_vocab_candidates())
                                  .c_str());
    return 77;
  }
  std::printf("OpenAI's vocabulary: %s\n", refseg_test::clip_vocab_path().c_str());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
