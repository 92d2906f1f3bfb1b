// The differentiable pieces of tiny-CLIP training: the masked global-context
// feature computed through the same VisionTransformer stages the encoder
// runs, and the losses.
#pragma once

#include <ATen/core/Tensor.h>

#include "clip/vision_transformer.h"

namespace refseg::training {

// Global-context features (docs/method.md step 2) with autograd: the first
// L - masked_layers blocks run once per image; before each of the last
// `masked_layers` blocks every patch token of mask i's copy is multiplied by
// its patch-grid mask value (the class token never is).
//   images [S, 3, R, R]; image_of_mask [N] int64 into S;
//   grid_masks [N, G*G] -> [N, embed_dim]
at::Tensor masked_global_features(clip::VisionTransformer &vit, const at::Tensor &images,
                                  const at::Tensor &image_of_mask, const at::Tensor &grid_masks,
                                  int masked_layers);

// Cross-entropy of choosing `targets` among candidates by scaled cosine,
// exactly the selector's rule: logits [Q, N] = scale * cos(text_q, visual_n).
//   visual [N, E], text [Q, E], targets [Q] int64 in [0, N).
// `correct` (optional) receives how many argmaxes hit their target.
at::Tensor selection_loss(const at::Tensor &visual, const at::Tensor &text,
                          const at::Tensor &targets, const at::Tensor &scale,
                          int64_t *correct = nullptr);

}  // namespace refseg::training
