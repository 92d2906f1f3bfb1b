#include "training/training_losses.h"

#include <ATen/ATen.h>

namespace refseg::training {
namespace {

at::Tensor soft_cross_entropy(const at::Tensor &logits, const at::Tensor &target_probs) {
  return -(target_probs * at::log_softmax(logits, -1)).sum(-1).mean();
}

at::Tensor unit(const at::Tensor &x) {
  return x / x.norm(2, -1, true).clamp_min(1e-6);
}

}  // namespace

at::Tensor masked_global_features(clip::VisionTransformer &vit, const at::Tensor &images,
                                  const at::Tensor &image_of_mask, const at::Tensor &grid_masks,
                                  int masked_layers) {
  const int64_t L = vit->transformer->layers();
  const int64_t first_masked = L - std::max<int64_t>(0, std::min<int64_t>(masked_layers, L));
  auto shared = vit->transformer->forward(vit->embed(images), at::Tensor(), 0, first_masked);
  auto x = shared.index_select(0, image_of_mask);  // [N, T, W]
  // [N, T, 1]: 1 for the class token, the mask value for each patch.
  auto keep = at::cat({at::ones({grid_masks.size(0), 1}, grid_masks.options()), grid_masks}, 1)
                  .unsqueeze(-1);
  for (int64_t i = first_masked; i < L; ++i) x = vit->transformer->block(i)->forward(x * keep, {});
  return vit->head(x);
}

at::Tensor selection_loss(const at::Tensor &visual, const at::Tensor &text,
                          const at::Tensor &targets, const at::Tensor &scale, int64_t *correct) {
  auto logits = scale * at::mm(unit(text), unit(visual).t());  // [Q, N]
  if (correct) *correct = logits.argmax(1).eq(targets).sum().item<int64_t>();
  return at::cross_entropy_loss(logits, targets);
}

}  // namespace refseg::training
