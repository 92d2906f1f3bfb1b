// make_test_clip OUT.pt [--resnet | --not-clip | --vit-b32] : writes a small random-weight CLIP in
// OpenAI's archive layout and, beside it, a BPE vocabulary learnt from a
// few phrases (OUT.vocab.txt.gz), as the elements' tests need: the real
// loading path, a matching tokenizer, and no committed binary. Seeded, so
// the files are the same at every build. --not-clip writes a TorchScript
// archive of tensors that are not a CLIP model, for the error paths.
// --vit-b32 writes random weights at ViT-B/32's size (image tower and text
// transformer; the vocabulary is the small learnt one) for benchmarks.
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "clip/clip_model.h"
#include "clip/openai_weights.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/merges_file.h"

int main(int argc, char **argv) {
  // --help as the GOption tools answer it, without GLib: the fixtures are
  // made in the LibTorch-only build too (docs/architecture.md).
  if (argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::printf(
        "Usage:\n  make_test_clip OUT.pt [--resnet | --not-clip | --vit-b32] - a CLIP archive "
        "for tests\n\n"
        "Writes a tiny CLIP with seeded random weights in OpenAI's layout to OUT.pt and its\n"
        "BPE vocabulary beside it (OUT.vocab.txt.gz), as the tests' fixtures.\n\n"
        "Options:\n"
        "  -h, --help    Show this help\n"
        "  --resnet      A ResNet image tower instead of a ViT\n"
        "  --not-clip    A TorchScript-free archive that is not a CLIP (for refusal tests)\n"
        "  --vit-b32     ViT-B/32's sizes with random weights (for the benchmarks)\n\n"
        "Exit status: 0 done, 1 the work failed, 2 bad arguments.\n");
    return 0;
  }
  // An output path that starts with '-' is an option mistyped (--help
  // once wrote an archive named "--help").
  const bool known_kind = argc < 3 || !std::strcmp(argv[2], "--resnet") ||
                          !std::strcmp(argv[2], "--not-clip") || !std::strcmp(argv[2], "--vit-b32");
  if (argc < 2 || argc > 3 || argv[1][0] == '-' || !known_kind) {
    std::fprintf(stderr, "usage: make_test_clip OUT.pt [--resnet | --not-clip | --vit-b32]\n");
    return 2;
  }
  const std::string out = argv[1];
  const bool resnet = argc > 2 && !std::strcmp(argv[2], "--resnet");
  const bool vit_b32 = argc > 2 && !std::strcmp(argv[2], "--vit-b32");
  try {
    if (argc > 2 && !std::strcmp(argv[2], "--not-clip")) {
      torch::manual_seed(7);
      refseg::clip::save_tensor_archive({{"backbone.conv.weight", torch::randn({8, 3, 3, 3})},
                                         {"head.fc.weight", torch::randn({10, 8})}},
                                        out);
      return 0;
    }
    const refseg::BpeMerges merges = refseg::learn_bpe_merges(
        {"the red circle on the left", "a small blue square", "the dog", "the man in black",
         "green star above the yellow triangle", "second from right"},
        60);
    const std::string stem =
        out.substr(0, out.size() - (out.size() > 3 && out.substr(out.size() - 3) == ".pt" ? 3 : 0));
    refseg::write_merges_gz(stem + ".vocab.txt.gz", merges);

    torch::manual_seed(7);
    refseg::clip::ClipConfig config;
    config.embed_dim = 32;
    config.vision_is_vit = !resnet;
    config.image_resolution = resnet ? 64 : 32;
    config.vision_width = resnet ? 8 : 64;
    config.vision_layers = 4;
    config.vision_patch_size = 8;
    config.resnet_layers = {1, 1, 1, 1};
    config.context_length = 16;
    config.vocab_size = static_cast<int>(256 * 2 + merges.size() + 2);
    config.text_width = 64;
    config.text_layers = 2;
    if (vit_b32) {
      const int vocab = config.vocab_size;
      config = refseg::clip::ClipConfig{};  // ViT-B/32
      config.vocab_size = vocab;
    }
    refseg::clip::ClipModel model(config);
    refseg::clip::save_openai_layout(model, out);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "make_test_clip: %s\n", e.what());
    return 1;
  }
  return 0;
}
