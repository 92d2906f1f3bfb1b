#include "proposals/proposal_model.h"

#include <filesystem>

#include <caffe2/serialize/inline_container.h>

#include "common/model_error.h"
#include "proposals/sam_proposal_generator.h"
#include "proposals/torchscript_generator.h"
#include "runtime/model_locator.h"

namespace fs = std::filesystem;

namespace refseg {

namespace {

struct SamName {
  const char *name;
  const char *file;
};
// The released files (their names carry the first hex digits of their MD5).
const SamName kSamNames[] = {
    {"MobileSAM", "mobile_sam.pt"},
    {"SAM-ViT-B", "sam_vit_b_01ec64.pth"},
    {"SAM-ViT-L", "sam_vit_l_0b3195.pth"},
    {"SAM-ViT-H", "sam_vit_h_4b8939.pth"},
};

bool is_file(const fs::path &p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

std::string sam_file_name(const std::string &name) {
  for (const SamName &n : kSamNames)
    if (name == n.name) return n.file;
  return "";
}

const std::vector<std::string> &sam_model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const SamName &n : kSamNames) v.emplace_back(n.name);
    return v;
  }();
  return names;
}

std::string locate_proposal_model(const std::string &name_or_path) {
  if (name_or_path.empty()) throw ModelError("no proposal model given");
  if (is_file(name_or_path)) return name_or_path;
  if (name_or_path.find('/') != std::string::npos)
    throw ModelError("cannot open proposal model file " + name_or_path + ": it does not exist");
  std::vector<std::string> files;
  const std::string released = sam_file_name(name_or_path);
  if (!released.empty()) {
    files.push_back(released);
  } else {
    files.push_back(name_or_path);
    files.push_back(name_or_path + ".pt");
    files.push_back(name_or_path + ".pth");
  }
  std::string searched;
  for (const std::string &dir : model_directories())
    for (const std::string &file : files) {
      const fs::path candidate = fs::path(dir) / file;
      if (is_file(candidate)) return candidate.string();
      searched += "\n  " + candidate.string();
    }
  std::string hint;
  if (!released.empty()) hint = "\n(gst-refseg-download " + name_or_path + " fetches it)";
  throw ModelError("proposal model '" + name_or_path + "' not found; looked for:" + searched +
                   hint);
}

ProposalModelKind proposal_model_kind(const std::string &path) {
  if (!is_file(path))
    throw ModelError("cannot open proposal model file " + path + ": it does not exist");
  std::vector<std::string> records;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    records = reader.getAllRecords();
  } catch (const std::exception &e) {
    std::string what = e.what();
    if (const size_t nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw ModelError("proposal model " + path +
                     ": not a zip archive (truncated?), so not a TorchScript module nor a "
                     "torch.save'd SAM checkpoint: " +
                     what);
  }
  bool code = false, constants = false, data = false;
  for (const std::string &r : records) {
    code |= r.rfind("code/", 0) == 0;
    constants |= r == "constants.pkl";
    data |= r == "data.pkl";
  }
  if (code || constants) return ProposalModelKind::TorchScript;
  if (data) return ProposalModelKind::SamStateDict;
  throw ModelError("proposal model " + path +
                   ": a zip archive without data.pkl or code/ records (neither a TorchScript "
                   "proposal model nor a torch.save'd SAM checkpoint)");
}

std::unique_ptr<ProposalGenerator> make_model_proposal_generator(
    const std::string &path, const ProposalModelOptions &options, const ProposalFilter &filter) {
  switch (proposal_model_kind(path)) {
    case ProposalModelKind::TorchScript:
      return std::make_unique<TorchScriptProposalGenerator>(path, TorchScriptOptions{}, filter);
    case ProposalModelKind::SamStateDict: {
      auto sam = std::make_unique<SamProposalGenerator>(path, options.sam, filter);
      sam->set_precision(resolve_sam_precision(options.sam_precision));
      sam->set_prompts(options.sam_prompts);
      return sam;
    }
  }
  throw ModelError("proposal model " + path + ": unknown kind");
}

}  // namespace refseg
