// compare_preprocess --model M.pt FIXTURE.txt... : how far preprocess=clip
// (METHOD.md) and preprocess=reference (the authors' released code) move
// the features, on the frames and masks of tests/fixtures/reference/
// (rebuilt from their formulas). Prints a Markdown table: per mask, the
// cosine between the two modes' global features and between their local
// features, then the mean. docs/accuracy.md shows a run.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "clip/global_local_encoder.h"
#include "clip/openai_weights.h"
#include "reference_fixture.h"

namespace {

double cosine(const at::Tensor &a, const at::Tensor &b) {
  const auto x = a.to(at::kDouble), y = b.to(at::kDouble);
  return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

}  // namespace

int main(int argc, char **argv) {
  using namespace refseg::clip;
  std::string model_path;
  std::vector<std::string> fixtures;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--model") && i + 1 < argc)
      model_path = argv[++i];
    else if (argv[i][0] == '-') {
      std::fprintf(stderr, "compare_preprocess: unknown argument %s\n", argv[i]);
      return 2;
    } else
      fixtures.push_back(argv[i]);
  }
  if (model_path.empty() || fixtures.empty()) {
    std::fprintf(stderr, "usage: compare_preprocess --model M.pt FIXTURE.txt...\n");
    return 2;
  }
  try {
    auto model = load_openai_clip(model_path);
    const GlobalLocalEncoder clip(model), reference(model, 3, Preprocess::kReference);
    std::printf("| frame | mask | box | global cosine | local cosine |\n|---|---|---|---|---|\n");
    double sum_global = 0, sum_local = 0;
    int n = 0;
    for (const std::string &path : fixtures) {
      const auto e = reference_fixture::read_fixture(path);
      const auto &size = reference_fixture::entry(e, "frame");
      const reference_fixture::SyntheticFrame frame(static_cast<int>(size[0]),
                                                    static_cast<int>(size[1]));
      const auto masks = reference_fixture::fixture_masks(e);
      const MaskFeatures a = clip.encode(frame.view(), masks);
      const MaskFeatures b = reference.encode(frame.view(), masks);
      for (size_t i = 0; i < masks.size(); ++i, ++n) {
        const double g = cosine(a.global[i], b.global[i]), l = cosine(a.local[i], b.local[i]);
        sum_global += g;
        sum_local += l;
        const auto &box = masks[i].box;
        std::printf("| %dx%d | %zu | %d,%d %dx%d | %.5f | %.5f |\n", frame.width, frame.height, i,
                    box.x, box.y, box.width, box.height, g, l);
      }
    }
    std::printf("| mean | | | %.5f | %.5f |\n", sum_global / n, sum_local / n);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "compare_preprocess: %s\n", e.what());
    return 1;
  }
  return 0;
}
