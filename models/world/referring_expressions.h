// Referring expressions that are true and unambiguous by construction. Each
// candidate is checked against every other object of the scene before it is
// emitted: attribute phrases must match one object only, positional phrases
// must hold for the target with a margin and fail for every rival with a
// margin, so that a glance at the image agrees with the text.
#pragma once

#include <vector>

#include "world/referring_world.h"
#include "world/seeded_random.h"

namespace refseg::world {

// Up to `per_type` expressions of each type for each object whose
// `referable` flag is set (anchors of relations must be referable too).
// Uniqueness is checked against all objects, referable or not.
std::vector<Expression> referring_expressions(const std::vector<Object> &objects,
                                              const std::vector<bool> &referable, int per_type,
                                              SeededRandom &random);

}  // namespace refseg::world
