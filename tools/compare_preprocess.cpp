// compare_preprocess --model M.pt FIXTURE.txt... (--help): how far preprocess=clip
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
#include "tool_options.h"

namespace {

double cosine(const at::Tensor &a, const at::Tensor &b) {
  const auto x = a.to(at::kDouble), y = b.to(at::kDouble);
  return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

}  // namespace

int main(int argc, char **argv) {
  using namespace refseg::clip;
  const char *tool = "compare_preprocess";
  gchar *model_text = nullptr;
  const GOptionEntry entries[] = {{"model", 0, 0, G_OPTION_ARG_FILENAME, &model_text,
                                   "An OpenAI-layout CLIP .pt (required)", "M.pt"},
                                  {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      tool, "FIXTURE.txt... - how far preprocess=clip and preprocess=reference move the features",
      "On the frames and masks of tests/fixtures/reference/ (FIXTURE.txt: one of its files), "
      "prints a Markdown table: per mask, the cosine between the two modes' global features and "
      "between their local features, then the mean.",
      "Exit status: 0 done, 1 the work failed (a file, the model), 2 bad arguments.\n", entries,
      nullptr, &argc, &argv);
  const std::string model_path = refseg::tools::take_string(model_text);
  const std::vector<std::string> fixtures(argv + 1, argv + argc);
  if (model_path.empty() || fixtures.empty())
    refseg::tools::usage_error(tool, "--model and at least one FIXTURE.txt are required");
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
