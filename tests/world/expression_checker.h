// An independent reading of the world's referring expressions: parses the
// text with its own vocabulary and evaluates it on the objects' centres,
// without the generator's code or margins. Used to check that every
// emitted expression is true and singles out its target.
#pragma once

#include <string>
#include <vector>

#include "world/referring_world.h"

namespace refseg::world::testing {

// Empty when the expression holds; otherwise why not.
std::string check_expression(const std::vector<Object> &objects, const Expression &expression);

}  // namespace refseg::world::testing
