// Accuracy of the method on held-out scenes of the synthetic referring world:
//   evaluate_refseg --model NAME --seed S --scenes N [--proposals grouping|ground-truth]
//                   [--global-weight a[,a...]] [--sentence-weight b[,b...]]
//                   [--masked-layers k] [--threads N] [--json out.json]
// Several weights (comma-separated) are scored from the same features, every
// a with every b. A progress bar goes to stderr, the JSON to stdout (and to
// --json when given).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/model_error.h"
#include "training/refseg_evaluation.h"

namespace {

void usage() {
  std::cerr << "usage: evaluate_refseg --model NAME --seed S --scenes N\n"
               "         [--proposals grouping|ground-truth] [--global-weight a[,a...]]\n"
               "         [--sentence-weight b[,b...]] [--masked-layers k] [--threads N]\n"
               "         [--json out.json]\n";
}

std::vector<float> weights(const std::string &list, const std::string &flag) {
  std::vector<float> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    size_t used = 0;
    float v = 0;
    try {
      v = std::stof(item, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (used != item.size() || v < 0.f || v > 1.f)
      throw refseg::ModelError(flag + ": '" + item + "' is not a weight in [0, 1]");
    out.push_back(v);
  }
  if (out.empty()) throw refseg::ModelError(flag + ": no weight given");
  return out;
}

void progress_bar(int done, int total) {
  const int width = 40, filled = width * done / total;
  std::fprintf(stderr, "\r[%s%s] %d/%d scenes", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total);
  if (done == total) std::fputc('\n', stderr);
}

}  // namespace

int main(int argc, char **argv) {
  refseg::training::EvaluationOptions o;
  std::vector<float> global = {0.95f}, sentence = {0.5f};
  std::string json_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw refseg::ModelError("missing value after " + arg);
        return argv[++i];
      };
      if (arg == "--model") {
        o.model = value();
      } else if (arg == "--seed") {
        o.first_seed = std::stoull(value());
      } else if (arg == "--scenes") {
        o.scenes = std::stoi(value());
      } else if (arg == "--proposals") {
        const std::string p = value();
        if (p == "grouping")
          o.proposals = refseg::training::ProposalSource::Grouping;
        else if (p == "ground-truth")
          o.proposals = refseg::training::ProposalSource::GroundTruth;
        else
          throw refseg::ModelError("--proposals: expected grouping or ground-truth, found " + p);
      } else if (arg == "--global-weight") {
        global = weights(value(), arg);
      } else if (arg == "--sentence-weight") {
        sentence = weights(value(), arg);
      } else if (arg == "--masked-layers") {
        o.masked_layers = std::stoi(value());
      } else if (arg == "--threads") {
        o.threads = std::stoi(value());
      } else if (arg == "--json") {
        json_path = value();
      } else if (arg == "--help" || arg == "-h") {
        usage();
        return 0;
      } else {
        throw refseg::ModelError("unknown argument " + arg);
      }
    }
  } catch (const std::exception &e) {
    std::cerr << "evaluate_refseg: " << e.what() << "\n";
    usage();
    return 2;
  }
  o.settings.clear();
  for (float a : global)
    for (float b : sentence) o.settings.push_back({a, b});

  try {
    const auto result = refseg::training::evaluate_refseg(o, progress_bar);
    const std::string json = refseg::training::evaluation_json(o, result);
    std::cout << json << "\n";
    if (!json_path.empty()) {
      std::ofstream file(json_path);
      if (!(file << json << "\n")) throw refseg::ModelError("cannot write " + json_path);
    }
    if (result.frames_without_proposals > 0)
      std::cerr << result.frames_without_proposals << " scenes had no proposal\n";
  } catch (const std::exception &e) {
    std::cerr << "evaluate_refseg: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
