#include "sam/sam_model.h"

#include <ATen/ATen.h>

#include "common/model_error.h"
#include "sam/sam_checkpoint.h"
#include "sam/sam_image_encoder.h"
#include "sam/sam_image_preprocess.h"

namespace refseg::sam {

SamModel::SamModel(const std::string &checkpoint_path) {
  load(read_sam_checkpoint(checkpoint_path));
}
SamModel::SamModel(const SamCheckpoint &checkpoint) {
  load(checkpoint);
}
SamModel::~SamModel() = default;
SamModel::SamModel(SamModel &&) noexcept = default;
SamModel &SamModel::operator=(SamModel &&) noexcept = default;

void SamModel::load(const SamCheckpoint &ckpt) {
  const SamArchitecture arch = tell_architecture(ckpt);
  image_size_ = arch.image_size;
  encoder_ = load_image_encoder(ckpt);
  prompt_ = PromptEncoder(tell_prompt_encoder(ckpt, arch.embedding_size, arch.image_size));
  load_parameters(*prompt_, ckpt, "prompt_encoder.");
  decoder_ = MaskDecoder(tell_mask_decoder(ckpt));
  load_parameters(*decoder_, ckpt, "mask_decoder.");
  if (prompt_->config().embed_dim != decoder_->config().dim ||
      prompt_->config().embed_dim != arch.out_chans)
    throw ModelError(ckpt.path + ": the image encoder gives " + std::to_string(arch.out_chans) +
                     " channels, the prompt encoder " +
                     std::to_string(prompt_->config().embed_dim) + " and the mask decoder " +
                     std::to_string(decoder_->config().dim) + ": they must agree");
  prompt_->eval();
  decoder_->eval();
}

void SamModel::set_image(const ImageView &frame) {
  at::NoGradGuard no_grad;
  const SamInput in = sam_preprocess(frame, static_cast<int>(image_size_));
  set_embedding(encoder_->forward(in.image), frame.width, frame.height);
}

void SamModel::set_embedding(const at::Tensor &embedding, int frame_width, int frame_height) {
  at::NoGradGuard no_grad;
  if (frame_width <= 0 || frame_height <= 0)
    throw ModelError("SAM: the frame is empty (" + std::to_string(frame_width) + "x" +
                     std::to_string(frame_height) + ")");
  const auto size = longest_side_size(frame_width, frame_height, static_cast<int>(image_size_));
  embedding_ = embedding.to(at::kFloat);
  frame_w_ = frame_width;
  frame_h_ = frame_height;
  input_w_ = size.first;
  input_h_ = size.second;
  frame_ = decoder_->prepare(embedding_, prompt_->dense_pe(), prompt_->dense_no_mask());
}

at::Tensor SamModel::to_input_coords(const at::Tensor &frame_xy) const {
  auto xy = frame_xy.to(at::kDouble);
  const double sx = static_cast<double>(input_w_) / frame_w_,
               sy = static_cast<double>(input_h_) / frame_h_;
  return at::stack({xy.select(-1, 0) * sx, xy.select(-1, 1) * sy}, -1);
}

DecodedMasks SamModel::decode(const at::Tensor &points, const at::Tensor &labels,
                              const at::Tensor &boxes, bool multimask) const {
  if (!has_image()) throw ModelError("SAM: decode() before set_image()");
  at::NoGradGuard no_grad;
  return decoder_->decode(frame_, prompt_->sparse(points, labels, boxes), multimask);
}

DecodedMasks SamModel::predict(const at::Tensor &frame_points, const at::Tensor &labels,
                               const at::Tensor &frame_boxes, bool multimask) const {
  at::Tensor p, b;
  if (frame_points.defined()) p = to_input_coords(frame_points).to(at::kFloat);
  if (frame_boxes.defined())
    b = to_input_coords(frame_boxes.reshape({-1, 2, 2})).reshape({-1, 4}).to(at::kFloat);
  return decode(p, labels, b, multimask);
}

at::Tensor SamModel::postprocess(const at::Tensor &low_res) const {
  if (!has_image()) throw ModelError("SAM: postprocess() before set_image()");
  at::NoGradGuard no_grad;
  auto up = at::upsample_bilinear2d(low_res, {image_size_, image_size_}, false);
  up = up.narrow(2, 0, input_h_).narrow(3, 0, input_w_);
  return at::upsample_bilinear2d(up, {frame_h_, frame_w_}, false);
}

std::optional<RegionMask> region_from_logits(const at::Tensor &logits, float score) {
  const at::Tensor on = logits.gt(0);
  const at::Tensor rows = on.any(1), cols = on.any(0);
  const at::Tensor ry = rows.nonzero(), cx = cols.nonzero();
  if (ry.numel() == 0) return std::nullopt;
  const int y0 = static_cast<int>(ry[0].item<int64_t>()),
            y1 = static_cast<int>(ry[-1].item<int64_t>());
  const int x0 = static_cast<int>(cx[0].item<int64_t>()),
            x1 = static_cast<int>(cx[-1].item<int64_t>());
  RegionMask m;
  m.box = {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
  m.score = score;
  const at::Tensor crop =
      (on.narrow(0, y0, m.box.height).narrow(1, x0, m.box.width).to(at::kByte) * 255).contiguous();
  m.pixels.assign(crop.data_ptr<uint8_t>(), crop.data_ptr<uint8_t>() + crop.numel());
  return m;
}

std::optional<RegionMask> refine_with_box(const SamModel &model, const RegionMask &proposal) {
  if (!model.has_image()) throw ModelError("SAM box refinement: no image set");
  if (proposal.box.empty()) return std::nullopt;
  const Box &b = proposal.box;
  const at::Tensor box =
      at::tensor({static_cast<double>(b.x), static_cast<double>(b.y),
                  static_cast<double>(b.x + b.width - 1), static_cast<double>(b.y + b.height - 1)},
                 at::kDouble)
          .view({1, 4});
  const DecodedMasks out = model.predict(at::Tensor(), at::Tensor(), box, /*multimask=*/false);
  const at::Tensor frame = model.postprocess(out.logits);  // [1, 1, H, W]
  return region_from_logits(frame[0][0], out.iou[0][0].item<float>());
}

}  // namespace refseg::sam
