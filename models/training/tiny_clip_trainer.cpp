#include "training/tiny_clip_trainer.h"

#include <torch/nn/init.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <map>

#include "clip/clip_model.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "language/noun_phrase.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/bpe_trainer.h"
#include "training/training_losses.h"
#include "world/seeded_random.h"

namespace refseg::training {
namespace {

constexpr uint64_t kLossSamplingStream = 0x6c6f7373ull;
constexpr int kAccuracyWindow = 50;

// OpenAI's initialize_parameters() for one transformer: residual branches
// scaled down with depth so the untrained network starts near identity.
void init_transformer(clip::Transformer &t, int64_t width) {
  const int64_t layers = t->layers();
  const double attn_std = std::pow(width, -0.5);
  const double proj_std = attn_std * std::pow(2.0 * layers, -0.5);
  const double fc_std = std::pow(2.0 * width, -0.5);
  for (int64_t i = 0; i < layers; ++i) {
    auto b = t->block(i);
    torch::nn::init::normal_(b->attn->in_proj_weight, 0, attn_std);
    torch::nn::init::normal_(b->attn->out_proj->weight, 0, proj_std);
    torch::nn::init::zeros_(b->attn->out_proj->bias);
    torch::nn::init::normal_(b->mlp->c_fc->weight, 0, fc_std);
    torch::nn::init::zeros_(b->mlp->c_fc->bias);
    torch::nn::init::normal_(b->mlp->c_proj->weight, 0, proj_std);
    torch::nn::init::zeros_(b->mlp->c_proj->bias);
  }
}

void init_parameters(clip::ClipModel &m) {
  torch::NoGradGuard no_grad;
  const auto &c = m.config();
  torch::nn::init::normal_(m.token_embedding->weight, 0, 0.02);
  torch::nn::init::normal_(m.positional_embedding, 0, 0.01);
  torch::nn::init::normal_(m.text_projection, 0, std::pow(c.text_width, -0.5));
  init_transformer(m.transformer, c.text_width);
  init_transformer(m.vit->transformer, c.vision_width);
}

std::vector<torch::optim::OptimizerParamGroup> parameter_groups(clip::ClipModel &m,
                                                                double weight_decay) {
  std::vector<at::Tensor> decayed, plain;
  for (auto &p : m.parameters()) (p.dim() >= 2 ? decayed : plain).push_back(p);
  auto with_decay = std::make_unique<torch::optim::AdamWOptions>();
  with_decay->weight_decay(weight_decay).betas({0.9, 0.98}).eps(1e-6);
  auto without = std::make_unique<torch::optim::AdamWOptions>();
  without->weight_decay(0.0).betas({0.9, 0.98}).eps(1e-6);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, std::move(with_decay));
  groups.emplace_back(plain, std::move(without));
  return groups;
}

// Deduplicates texts for one text-tower batch.
struct TextTable {
  std::map<std::string, int64_t> index;
  std::vector<std::string> texts;
  int64_t add(const std::string &t) {
    auto [it, inserted] = index.emplace(t, static_cast<int64_t>(texts.size()));
    if (inserted) texts.push_back(t);
    return it->second;
  }
};

// Copies every parameter of an earlier run's archive into `model`.
void load_weights(clip::ClipModel &model, const std::string &path) {
  auto source = clip::load_openai_clip(path);
  torch::NoGradGuard no_grad;
  const auto from = source->named_parameters();
  for (auto &p : model.named_parameters()) {
    const at::Tensor *src = from.find(p.key());
    if (!src || !src->sizes().equals(p.value().sizes()))
      throw ModelError("initial weights " + path + ": tensor " + p.key() +
                       (src ? " has another shape" : " is missing") +
                       "; train with the shape and vocabulary options that made the file");
    p.value().copy_(*src);
  }
}

at::Tensor index_tensor(const std::vector<int64_t> &v) {
  return at::tensor(v, at::kLong);
}

}  // namespace

clip::ClipConfig TinyClipShape::config(int vocab_size) const {
  clip::ClipConfig c;
  c.embed_dim = embed_dim;
  c.vision_is_vit = true;
  c.image_resolution = image_resolution;
  c.vision_width = vision_width;
  c.vision_layers = vision_layers;
  c.vision_patch_size = patch_size;
  c.context_length = context_length;
  c.vocab_size = vocab_size;
  c.text_width = text_width;
  c.text_layers = text_layers;
  return c;
}

std::string vocabulary_path_for(const std::string &weights_path) {
  const std::filesystem::path p(weights_path);
  return (p.parent_path() / (p.stem().string() + ".vocab.txt.gz")).string();
}

struct TinyClipTrainer::Impl {
  TrainingOptions options;
  NounPhraseExtractor phrases;
  BpeMerges merges;
  std::unique_ptr<BpeTokenizer> tokenizer;
  int longest_tokens = 0;
  std::shared_ptr<clip::ClipModel> model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<WorldSampler> sampler;
  int step = 0;
  // Every object description the world can produce ("red circle") and with
  // the size ("small red circle"), with their positions in those lists.
  std::vector<std::string> descriptions, sized_descriptions;
  std::map<std::string, int64_t> description_index, sized_index;
  double description_weight = 1.0;

  explicit Impl(const TrainingOptions &o) : options(o) {
    const auto &s = o.shape;
    if (s.image_resolution <= 0 || s.patch_size <= 0 || s.image_resolution % s.patch_size != 0)
      throw ModelError("tiny CLIP: image resolution " + std::to_string(s.image_resolution) +
                       " must be a positive multiple of the patch size " +
                       std::to_string(s.patch_size));
    if (s.vision_width % 64 != 0 || s.text_width % 64 != 0 || s.vision_width <= 0 ||
        s.text_width <= 0)
      throw ModelError(
          "tiny CLIP: widths must be positive multiples of 64 (one head per 64 channels)");
    if (o.masked_layers < 0 || o.masked_layers > s.vision_layers)
      throw ModelError("tiny CLIP: masked layers " + std::to_string(o.masked_layers) +
                       " outside [0, " + std::to_string(s.vision_layers) + "]");
    if (!(o.description_weight >= 0))
      throw ModelError("tiny CLIP: description weight " + std::to_string(o.description_weight) +
                       " must be >= 0");
    if (!(o.global_description_share >= 0))
      throw ModelError("tiny CLIP: global description share " +
                       std::to_string(o.global_description_share) + " must be >= 0");
    if (!(o.global_weight_spread >= 0 && o.global_weight_spread <= 1) ||
        !(o.selection_global_weight >= 0 && o.selection_global_weight <= 1))
      throw ModelError("tiny CLIP: the trained global weight and its spread must lie in [0, 1]");
    if (o.steps < 0 || o.scenes_per_step <= 0)
      throw ModelError("tiny CLIP: steps must be >= 0 and scenes per step > 0");

    // The vocabulary: phrases are substrings of the expressions, so the
    // expressions and descriptions cover every word the model will read.
    std::vector<std::string> corpus;
    for (int i = 0; i < o.vocabulary_scenes; ++i) {
      const auto scene = world::make_scene(training_scene_seed(o.seed, i), o.world);
      for (const auto &e : scene.expressions) corpus.push_back(e.text);
      for (const auto &obj : scene.objects) corpus.push_back(world::describe(obj, true));
    }
    merges = learn_bpe_merges(corpus, static_cast<size_t>(o.bpe_merges));
    tokenizer = std::make_unique<BpeTokenizer>(BpeTokenizer::from_merges(merges));
    for (const auto &t : corpus)
      longest_tokens = std::max(longest_tokens, static_cast<int>(tokenizer->encode(t).size()) + 2);

    torch::manual_seed(o.seed);
    model = std::make_shared<clip::ClipModel>(s.config(static_cast<int>(tokenizer->vocab_size())));
    init_parameters(*model);
    if (!o.init_weights.empty()) load_weights(*model, o.init_weights);
    model->train();
    optimizer = std::make_unique<torch::optim::AdamW>(parameter_groups(*model, o.weight_decay),
                                                      torch::optim::AdamWOptions(o.learning_rate));

    SamplerOptions so;
    so.image_resolution = s.image_resolution;
    so.patch_size = s.patch_size;
    so.expressions_per_scene = o.expressions_per_scene;
    so.distractors_per_scene = o.distractors_per_scene;
    so.all_attribute_expressions = o.all_attribute_expressions;
    so.world = o.world;
    sampler = std::make_unique<WorldSampler>(so, phrases);

    for (const auto colour : world::all_colours())
      for (const auto shape : world::all_shapes()) {
        world::Object object;
        object.colour = colour;
        object.shape = shape;
        description_index.emplace(world::describe(object, false),
                                  static_cast<int64_t>(descriptions.size()));
        descriptions.push_back(world::describe(object, false));
        for (const bool big : {false, true}) {
          object.big = big;
          sized_index.emplace(world::describe(object, true),
                              static_cast<int64_t>(sized_descriptions.size()));
          sized_descriptions.push_back(world::describe(object, true));
        }
      }
    description_weight = o.description_weight;
  }

  double learning_rate_at(int i) const {
    const double peak = options.learning_rate;
    if (i < options.warmup_steps) return peak * (i + 1) / options.warmup_steps;
    const double t = static_cast<double>(i - options.warmup_steps) /
                     std::max(1, options.steps - options.warmup_steps);
    return peak * (0.02 + 0.98 * 0.5 * (1 + std::cos(M_PI * std::min(1.0, t))));
  }

  // Text features of `texts`, in order. The text tower runs up to the
  // longest text of its batch, so texts go through it in batches of similar
  // length: the 168 short descriptions do not pay for a 14-token expression.
  at::Tensor encode_texts(const std::vector<std::string> &texts) {
    const int ctx = options.shape.context_length;
    constexpr size_t kBatch = 64;
    std::vector<std::vector<int64_t>> rows;
    std::vector<int64_t> order(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      rows.push_back(tokenizer->tokenize(texts[i], ctx));
      order[i] = static_cast<int64_t>(i);
    }
    auto length = [&](int64_t i) {  // position of the end-of-text token, the row's maximum
      const auto &r = rows[static_cast<size_t>(i)];
      return std::max_element(r.begin(), r.end()) - r.begin();
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return length(a) < length(b); });
    std::vector<at::Tensor> parts;
    for (size_t first = 0; first < order.size(); first += kBatch) {
      const size_t n = std::min(kBatch, order.size() - first);
      std::vector<int64_t> ids;
      ids.reserve(n * ctx);
      for (size_t i = first; i < first + n; ++i) {
        const auto &r = rows[static_cast<size_t>(order[i])];
        ids.insert(ids.end(), r.begin(), r.end());
      }
      parts.push_back(
          model->encode_text(at::tensor(ids, at::kLong).view({static_cast<int64_t>(n), ctx})));
    }
    if (parts.empty()) return model->encode_text(at::zeros({0, ctx}, at::kLong));
    // Row i of the sorted features is text order[i]: invert the permutation.
    auto sorted = at::cat(parts);
    auto position = at::empty({static_cast<int64_t>(order.size())}, at::kLong);
    position.index_put_({index_tensor(order)}, at::arange(static_cast<int64_t>(order.size())));
    return sorted.index_select(0, position);
  }

  StepResult run_step() {
    const int S = options.scenes_per_step;
    std::vector<SceneSample> samples;
    for (int j = 0; j < S; ++j)
      samples.push_back(sampler->sample(training_scene_seed(
          options.seed, options.first_scene + static_cast<uint64_t>(step) * S + j)));

    // Visual features of every candidate of every scene.
    std::vector<at::Tensor> images, grids, crops;
    std::vector<int64_t> image_of_mask, first_row;
    for (int j = 0; j < S; ++j) {
      first_row.push_back(static_cast<int64_t>(image_of_mask.size()));
      images.push_back(samples[j].image);
      grids.push_back(samples[j].grid_masks);
      crops.push_back(samples[j].crops);
      for (int64_t r = 0; r < samples[j].grid_masks.size(0); ++r) image_of_mask.push_back(j);
    }
    auto &vit = model->vit;
    auto fg = masked_global_features(vit, at::stack(images), index_tensor(image_of_mask),
                                     at::cat(grids), options.masked_layers);  // [N, E]
    auto fl = vit->forward(at::cat(crops));                                   // [N, E]

    // Every text once through the text tower, the world's whole set of
    // object descriptions included.
    TextTable table;
    std::vector<int64_t> all_description_ids, all_sized_ids;
    for (const auto &d : descriptions) all_description_ids.push_back(table.add(d));
    for (const auto &d : sized_descriptions) all_sized_ids.push_back(table.add(d));
    std::vector<int64_t> object_rows, description_class, sized_class;
    for (int j = 0; j < S; ++j) {
      for (const auto &e : samples[j].expressions) table.add(e.sentence), table.add(e.phrase);
      for (int o = 0; o < samples[j].object_count; ++o) {
        object_rows.push_back(first_row[j] + o);
        description_class.push_back(description_index.at(samples[j].descriptions[o]));
        sized_class.push_back(sized_index.at(samples[j].sized_descriptions[o]));
      }
    }
    auto tf = encode_texts(table.texts);  // [U, E]
    auto scale = model->logit_scale.exp().clamp_max(100.0);

    // (a) Within-scene selection, the selector's own rule, at the selector's
    // default a (sometimes a random one, --global-weight-spread) and a
    // sampled b; the global-only choice and, where the crop can decide, the
    // local-only one are trained as well. The features are mixed unnormalized,
    // so training at a = 0.95 lets the model size the local feature against
    // the global one: the global feature sees a small object's shape on a
    // few patches only, and when a sampled a kept the two norms alike, the
    // global feature outvoted the crop at a = 0.95 (attribute top-1 79% at
    // a = 0.95 against 90% at a = 0.5 for the same weights).
    world::SeededRandom random(world::mix_seed(options.seed, kLossSamplingStream),
                               static_cast<uint64_t>(step));
    StepResult result;
    at::Tensor selection = at::zeros({}, fg.options());
    for (int j = 0; j < S; ++j) {
      const auto &sample = samples[j];
      if (sample.expressions.empty()) continue;
      const int64_t n = sample.grid_masks.size(0);
      auto g = fg.narrow(0, first_row[j], n), l = fl.narrow(0, first_row[j], n);
      std::vector<int64_t> sentence, phrase, target, attr;
      std::vector<float> b;
      for (size_t q = 0; q < sample.expressions.size(); ++q) {
        const auto &e = sample.expressions[q];
        sentence.push_back(table.index.at(e.sentence));
        phrase.push_back(table.index.at(e.phrase));
        target.push_back(e.target);
        if (e.crop_decides) attr.push_back(static_cast<int64_t>(q));
        b.push_back(random.bernoulli(0.6) ? 0.5f : (random.bernoulli(0.7) ? 1.f : 0.f));
      }
      auto ts = tf.index_select(0, index_tensor(sentence));
      auto tp = tf.index_select(0, index_tensor(phrase));
      auto bw = at::tensor(b).unsqueeze(1);
      auto t = bw * ts + (1 - bw) * tp;
      auto targets = index_tensor(target);
      const double a = random.bernoulli(options.global_weight_spread)
                           ? random.uniform01()
                           : options.selection_global_weight;
      const auto Q = static_cast<double>(sample.expressions.size());
      selection = selection + Q * selection_loss(a * g + (1 - a) * l, t, targets, scale);
      selection = selection + 0.5 * Q * selection_loss(g, t, targets, scale);
      if (!attr.empty()) {
        auto ai = index_tensor(attr);
        selection = selection + 0.5 * static_cast<double>(attr.size()) *
                                    selection_loss(l, t.index_select(0, ai),
                                                   targets.index_select(0, ai), scale);
      }
      {
        torch::NoGradGuard no_grad;
        int64_t correct = 0;
        selection_loss(0.95 * g + 0.05 * l, 0.5 * ts + 0.5 * tp, targets, scale, &correct);
        result.correct += correct;
        result.expressions += static_cast<int64_t>(Q);
      }
    }
    auto loss = selection / std::max<int64_t>(1, result.expressions);

    // (b) Every object's local crop against every colour-and-shape
    // description the world has, and (c) its masked global feature against
    // every size-colour-shape description. Contrasting only the batch's own
    // descriptions (mostly of other colours) let colour alone win, so shape
    // and size had almost no gradient; the whole vocabulary of descriptions
    // asks for them on every step.
    if (!object_rows.empty()) {
      auto rows = index_tensor(object_rows);
      auto crop_texts = tf.index_select(0, index_tensor(all_description_ids));
      auto sized_texts = tf.index_select(0, index_tensor(all_sized_ids));
      auto crop_loss =
          selection_loss(crop_texts, fl.index_select(0, rows), index_tensor(description_class),
                         scale, &result.crops_described);
      auto global_loss =
          selection_loss(sized_texts, fg.index_select(0, rows), index_tensor(sized_class), scale,
                         &result.globals_described);
      result.objects = static_cast<int64_t>(object_rows.size());
      loss =
          loss + description_weight * (crop_loss + options.global_description_share * global_loss);
    }

    for (auto &group : optimizer->param_groups())
      static_cast<torch::optim::AdamWOptions &>(group.options()).lr(learning_rate_at(step));
    optimizer->zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    optimizer->step();
    ++step;
    result.loss = loss.item<double>();
    return result;
  }
};

TinyClipTrainer::TinyClipTrainer(const TrainingOptions &options)
    : impl_(std::make_unique<Impl>(options)) {}
TinyClipTrainer::~TinyClipTrainer() = default;

StepResult TinyClipTrainer::step() {
  return impl_->run_step();
}

void TinyClipTrainer::train(const std::function<void(const TrainingProgress &)> &progress) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const int first = impl_->step;
  std::deque<StepResult> window;
  double ema = 0;
  while (impl_->step < impl_->options.steps) {
    const StepResult r = step();
    ema = (impl_->step == first + 1) ? r.loss : 0.95 * ema + 0.05 * r.loss;
    window.push_back(r);
    if (static_cast<int>(window.size()) > kAccuracyWindow) window.pop_front();
    if (!progress) continue;
    TrainingProgress p;
    p.step = impl_->step;
    p.steps = impl_->options.steps;
    p.loss = ema;
    int64_t n = 0, c = 0, objects = 0, crops = 0, globals = 0;
    for (const auto &w : window) {
      n += w.expressions, c += w.correct;
      objects += w.objects, crops += w.crops_described, globals += w.globals_described;
    }
    p.accuracy = n ? static_cast<double>(c) / n : 0;
    p.crop_description_accuracy = objects ? static_cast<double>(crops) / objects : 0;
    p.global_description_accuracy = objects ? static_cast<double>(globals) / objects : 0;
    p.elapsed_s = std::chrono::duration<double>(clock::now() - start).count();
    p.eta_s = p.elapsed_s / (impl_->step - first) * (p.steps - impl_->step);
    progress(p);
  }
}

int TinyClipTrainer::steps_done() const {
  return impl_->step;
}
const TrainingOptions &TinyClipTrainer::options() const {
  return impl_->options;
}
clip::ClipModel &TinyClipTrainer::model() {
  return *impl_->model;
}
std::shared_ptr<clip::ClipModel> TinyClipTrainer::shared_model() {
  return impl_->model;
}
const BpeTokenizer &TinyClipTrainer::tokenizer() const {
  return *impl_->tokenizer;
}
const BpeMerges &TinyClipTrainer::merges() const {
  return impl_->merges;
}
int TinyClipTrainer::longest_text_tokens() const {
  return impl_->longest_tokens;
}

void TinyClipTrainer::save(const std::string &weights_path, bool fp16) const {
  clip::save_openai_layout(*impl_->model, weights_path, fp16);
  write_merges_gz(vocabulary_path_for(weights_path), impl_->merges);
}

}  // namespace refseg::training
