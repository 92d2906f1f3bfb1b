// The paper's evaluation protocol on RefCOCO / RefCOCO+ / RefCOCOg, as the
// authors' released loop runs it (Our_method_with_free_solo.py of github
// Seonghoon-Yu/Zero-shot-RIS): for every ref of a split, in the refs
// file's order, the image's mask proposals are encoded once
// (ClipRuntime::encode_masks: global- and local-context features), and
// every sentence of the ref picks the proposal with the best score
// (selection.h: v = a f_g + (1 - a) f_l, t = b t_sentence + (1 - b)
// t_phrase), which is compared with the ref's target mask
// (refer_dataset.h) by refcoco_metric.h.
//
// What follows the released code: the sentence is the annotator's `raw`
// text, lower-cased (their loop's sentence.lower()); a = 0.85 on refcocog
// and 0.95 otherwise, b = 0.5, the last 3 blocks masked; refs whose image
// has no proposal are skipped. What does not (yet): the proposals are the
// project's (no FreeSOLO), the image preprocessing is the runtime's, and
// the sentence is not re-joined from spaCy's tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "clip/precision.h"
#include "clip/preprocess_mode.h"
#include "proposals/proposal_generator.h"
#include "proposals/torchscript_generator.h"
#include "refcoco/refcoco_metric.h"

namespace refseg::refcoco {

struct RefcocoOptions {
  // <refer_root>/<dataset>/refs(<split_by>).json and instances.json,
  // images in <refer_root>/images/mscoco/images/train2014 (the refer API's
  // layout); each path can be given on its own instead.
  std::string refer_root;
  std::string dataset = "refcoco";  // refcoco, refcoco+, refcocog
  std::string split_by;             // "" = the authors' (default_split_by)
  std::string split = "val";
  std::string refs_file, instances_file, images_dir;  // "" = from refer_root

  std::string model = "ViT-B/32";  // as acquire_clip_runtime() takes it
  std::string device = "cpu";
  int threads = 0;
  clip::Precision precision = clip::Precision::kFp32;
  // reference: frames and masks as the authors' code prepares them, and the
  // sentence lower-cased and re-joined from its tokens (before tokenizing
  // and parsing) as their loop does; clip: METHOD.md's preprocessing.
  clip::Preprocess preprocess = clip::Preprocess::kClip;

  // "" = the project's grouping generator; else a TorchScript proposal
  // model (torchscript_generator.h).
  std::string proposal_model;
  TorchScriptOptions torchscript;
  ProposalFilter filter;

  std::optional<float> global_weight;  // a; unset = 0.85 on refcocog, else 0.95
  float sentence_weight = 0.5f;        // b
  int masked_layers = 3;
  bool lower_case = true;  // the sentence as their loop reads it

  int64_t limit = 0;          // > 0: only the split's first `limit` sentences
  bool per_sentence = false;  // keep every sentence's result for the JSON
};

struct SentenceResult {
  int64_t ref_id = 0, sent_id = 0;
  std::string text, phrase;
  int chosen = -1;  // proposal index; -1: the image had none (not scored)
  float score = 0;
  Overlap overlap;
};

struct RefcocoResult {
  std::string refs_file, instances_file, images_dir, split_by;
  float global_weight = 0;
  int64_t split_refs = 0, split_sentences = 0;  // in the split
  int64_t refs = 0, sentences = 0;              // visited (all, or up to --limit)
  int64_t unanswered_refs = 0;                  // refs whose image had no proposal
  int64_t proposals = 0;                        // over the visited refs' images
  IouTally tally;
  std::vector<SentenceResult> per_sentence;  // with RefcocoOptions::per_sentence
  double seconds = 0;
};

// The paths the options resolve to: {refs, instances, images dir}.
struct ReferPaths {
  std::string refs, instances, images;
};
ReferPaths refer_paths(const RefcocoOptions &options);

// Throws ModelError for bad options, unreadable or malformed annotations
// (naming the file, the ref or annotation id and the field), a missing or
// undecodable image (naming the file and the image and ref ids), an image
// whose size differs from instances.json, or a model that does not load.
// progress(done, total) counts sentences.
RefcocoResult evaluate_refcoco(const RefcocoOptions &options,
                               const std::function<void(int64_t, int64_t)> &progress = {});

nlohmann::ordered_json refcoco_json(const RefcocoOptions &options, const RefcocoResult &result);

}  // namespace refseg::refcoco
