// The `expression-list` property of refsegselector and refsegbin: several
// referring expressions in one string, which gst-launch and PyGObject (and
// any UI with a text field) can set, unlike the GstValueArray `expressions`.
#pragma once

#include <string>
#include <vector>

namespace refseg::gst {

// Splits on newlines when `list` has any (so an expression may contain a
// ';'), otherwise on ';'. Spaces around each expression are trimmed;
// empty ones are dropped.
std::vector<std::string> split_expression_list(const std::string &list);

// The inverse: joined with "; ", or with newlines when an expression
// contains a ';' (newlines inside an expression become spaces, blank
// expressions, which select nothing, are left out).
std::string join_expression_list(const std::vector<std::string> &expressions);

}  // namespace refseg::gst
