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
  path_ = ckpt.path;
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

void SamModel::set_precision(clip::Precision p) {
  if (p != clip::Precision::kFp32 && p != clip::Precision::kBf16)
    throw ModelError(std::string("SAM: precision ") + clip::precision_name(p) +
                     " is not offered (fp32 or bf16)");
  if (p == precision_) return;
  if (p == clip::Precision::kBf16) {
    encoder_->to(at::kBFloat16);
  } else {
    encoder_ = load_image_encoder(read_sam_checkpoint(path_));  // the fp32 weights again
  }
  decoder_->set_bf16(p == clip::Precision::kBf16);
  precision_ = p;
}

void SamModel::set_image(const ImageView &frame) {
  at::NoGradGuard no_grad;
  const SamInput in = sam_preprocess(frame, static_cast<int>(image_size_));
  const auto type = precision_ == clip::Precision::kBf16 ? at::kBFloat16 : at::kFloat;
  set_embedding(encoder_->forward(in.image.to(type)), frame.width, frame.height);
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
  const int64_t low = 4 * frame_.h;  // the upscaled logits' side (256 in the releases)
  if (post_.frame_width() != frame_w_ || post_.frame_height() != frame_h_)
    post_ = MaskPostprocess(static_cast<int>(4 * frame_.w), static_cast<int>(low),
                            static_cast<int>(image_size_), input_w_, input_h_, frame_w_, frame_h_);
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

DecodedTokens SamModel::decode_tokens(const at::Tensor &points, const at::Tensor &labels,
                                      const at::Tensor &boxes, bool multimask) const {
  if (!has_image()) throw ModelError("SAM: decode() before set_image()");
  at::NoGradGuard no_grad;
  return decoder_->decode_tokens(frame_, prompt_->sparse(points, labels, boxes), multimask);
}

at::Tensor SamModel::upscale_masks(const DecodedTokens &tokens, const at::Tensor &rows) const {
  at::NoGradGuard no_grad;
  return decoder_->upscale_masks(tokens, rows);
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
  return refine_with_boxes(model, {proposal}).front();
}

std::vector<std::optional<RegionMask>> refine_with_boxes(const SamModel &model,
                                                         const std::vector<RegionMask> &proposals) {
  if (!model.has_image()) throw ModelError("SAM box refinement: no image set");
  std::vector<std::optional<RegionMask>> out(proposals.size());
  std::vector<double> xyxy;
  std::vector<size_t> which;
  for (size_t i = 0; i < proposals.size(); ++i) {
    const Box &b = proposals[i].box;
    if (b.empty()) continue;
    for (double v : {b.x, b.y, b.x + b.width - 1, b.y + b.height - 1}) xyxy.push_back(v);
    which.push_back(i);
  }
  if (which.empty()) return out;
  const at::Tensor boxes =
      at::from_blob(xyxy.data(), {static_cast<int64_t>(which.size()), 4}, at::kDouble).clone();
  const DecodedMasks d = model.predict(at::Tensor(), at::Tensor(), boxes, /*multimask=*/false);
  const at::Tensor logits = d.logits.contiguous(), iou = d.iou.contiguous();
  const MaskPostprocess &post = model.mask_postprocess();
  const int64_t plane = logits.size(2) * logits.size(3);
  std::vector<uint8_t> mask(static_cast<size_t>(post.frame_width()) * post.frame_height());
  for (size_t k = 0; k < which.size(); ++k) {
    const MaskPlaneStats st = post.measure(logits.data_ptr<float>() + k * plane, 1.f, mask.data());
    out[which[k]] =
        region_from_plane(mask.data(), post.frame_width(), st, iou.data_ptr<float>()[k]);
  }
  return out;
}

}  // namespace refseg::sam
