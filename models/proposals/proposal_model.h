// Which proposal generator a model file is for, told from the file's content
// (never its name), and where a named proposal model lives.
//
// Names resolve in the models directories (runtime/model_locator.h) like
// CLIP's: the Segment Anything family's released file names by the names
// gst-refseg-download knows ("MobileSAM" -> mobile_sam.pt, "SAM-ViT-B" ->
// sam_vit_b_01ec64.pth, "SAM-ViT-L" -> sam_vit_l_0b3195.pth, "SAM-ViT-H" ->
// sam_vit_h_4b8939.pth); any other name as NAME, NAME.pt or NAME.pth; an
// existing path as it is.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clip/precision.h"
#include "proposals/proposal_generator.h"
#include "proposals/sam_proposal_generator.h"
#include "sam/automatic_mask_generator.h"

namespace refseg {

enum class ProposalModelKind {
  TorchScript,   // a TorchScript archive (code/ and constants.pkl records)
  SamStateDict,  // a torch.save'd state dict (a zip archive without code):
                 // read as a SAM-family checkpoint
};

// The released file name for a SAM-family name ("MobileSAM" ->
// "mobile_sam.pt"), "" for other names.
std::string sam_file_name(const std::string &name);
// The SAM-family names ("MobileSAM", "SAM-ViT-B", "SAM-ViT-L", "SAM-ViT-H").
const std::vector<std::string> &sam_model_names();

// The file a proposal model name or path stands for. Throws ModelError
// listing where it looked when nothing is found.
std::string locate_proposal_model(const std::string &name_or_path);

// Tells the file's kind from its zip records. Throws ModelError naming the
// file when it is missing, not a zip archive (or truncated), or neither kind.
ProposalModelKind proposal_model_kind(const std::string &path);

struct ProposalModelOptions {
  sam::AutomaticMaskOptions sam;  // SAM models: the automatic mask generation
  // SAM models: the precision (resolve_sam_precision: auto is bf16 where the
  // CPU has native bf16) and where the prompts come from.
  clip::Precision sam_precision = clip::Precision::kFp32;
  SamPrompts sam_prompts = kCpuSamPrompts;
};

// The generator for a located model file: TorchScriptProposalGenerator or
// SamProposalGenerator, with `filter` (for SAM models its iou_threshold is
// the box NMS threshold). Throws ModelError naming the file.
std::unique_ptr<ProposalGenerator> make_model_proposal_generator(
    const std::string &path, const ProposalModelOptions &options, const ProposalFilter &filter);

}  // namespace refseg
