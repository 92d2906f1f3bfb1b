// Settings that come in from a message broker: a control message sets the
// text or the expression list of a stream (docs/elements.md,
// "refsegpublish", has the format). Parsing never throws: a bad message is
// a typed error that the publisher answers on the reply topic, and it
// changes nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refseg::publish {

enum class ControlErrorKind {
  TooLarge,      // more bytes than the limit (checked before anything else)
  InvalidUtf8,   // the payload is not UTF-8
  NotJson,       // not a JSON document
  WrongType,     // not an object, or a field of the wrong type
  UnknownField,  // a field this version does not know
  NothingToSet,  // neither "text" nor "expressions"
};

// "too-large", "invalid-utf8", "not-json", "wrong-type", "unknown-field",
// "nothing-to-set": the "error" field of the reply.
const char *control_error_name(ControlErrorKind kind);

struct ControlError {
  ControlErrorKind kind;
  std::string message;  // one line naming what is wrong
};

// A valid message: {"text": "..."} and/or {"expressions": ["...", ...]},
// optionally with "id" (a string or an integer, echoed in the reply).
struct ControlChange {
  std::optional<std::string> text;
  std::optional<std::vector<std::string>> expressions;
};

struct ControlParse {
  std::optional<ControlChange> change;  // set when the message is valid
  std::optional<ControlError> error;    // set when it is not
  std::string id_json;                  // the "id" as JSON ("" when absent or unreadable)
};

inline constexpr std::size_t kDefaultControlMaxBytes = 16 * 1024;

ControlParse parse_control(std::string_view payload,
                           std::size_t max_bytes = kDefaultControlMaxBytes);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool is_utf8(std::string_view text);

// The reply documents (one line of JSON):
// {"stream": ..., "ok": true, "applied": {"text": ..., "expressions": [...]},
//  "target": <element>, "id": ...}
std::string control_applied_reply(const std::string &stream, const ControlParse &parse,
                                  const std::string &target);
// {"stream": ..., "ok": false, "error": <kind name or `error`>, "message": ..., "id": ...}
std::string control_error_reply(const std::string &stream, const ControlParse &parse);
std::string control_error_reply(const std::string &stream, const std::string &error,
                                const std::string &message, const std::string &id_json);

}  // namespace refseg::publish
