// The one exception type the inference core throws for bad models and bad
// input. Messages are written for the user who has to fix the file: they
// name the file, the tensor, the expected and the found value.
#pragma once

#include <stdexcept>
#include <string>

namespace refseg {

class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace refseg
