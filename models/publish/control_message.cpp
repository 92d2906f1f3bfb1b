#include "publish/control_message.h"

#include <cstdint>

#include <nlohmann/json.hpp>

namespace refseg::publish {

const char *control_error_name(ControlErrorKind kind) {
  switch (kind) {
    case ControlErrorKind::TooLarge:
      return "too-large";
    case ControlErrorKind::InvalidUtf8:
      return "invalid-utf8";
    case ControlErrorKind::NotJson:
      return "not-json";
    case ControlErrorKind::WrongType:
      return "wrong-type";
    case ControlErrorKind::UnknownField:
      return "unknown-field";
    case ControlErrorKind::NothingToSet:
      return "nothing-to-set";
  }
  return "unknown";
}

bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // the sequence runs past the end
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

namespace {

ControlParse fail(ControlParse p, ControlErrorKind kind, std::string message) {
  p.change.reset();
  p.error = ControlError{kind, std::move(message)};
  return p;
}

std::string dump(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json id_value(const std::string &id_json) {
  if (id_json.empty()) return nullptr;
  return nlohmann::json::parse(id_json, nullptr, false);
}

}  // namespace

ControlParse parse_control(std::string_view payload, std::size_t max_bytes) {
  ControlParse p;
  if (payload.size() > max_bytes)
    return fail(std::move(p), ControlErrorKind::TooLarge,
                "message of " + std::to_string(payload.size()) + " bytes is over the limit of " +
                    std::to_string(max_bytes));
  if (!is_utf8(payload))
    return fail(std::move(p), ControlErrorKind::InvalidUtf8, "message is not valid UTF-8");
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return fail(std::move(p), ControlErrorKind::NotJson, "message is not a JSON document");
  if (!j.is_object())
    return fail(std::move(p), ControlErrorKind::WrongType,
                std::string("message is a JSON ") + j.type_name() + ", not an object");
  if (j.contains("id")) {
    const nlohmann::json &id = j["id"];
    if (id.is_string() || id.is_number_integer()) p.id_json = dump(id);
  }
  ControlChange change;
  for (const auto &[key, value] : j.items()) {
    if (key == "id") {
      if (!value.is_string() && !value.is_number_integer())
        return fail(std::move(p), ControlErrorKind::WrongType,
                    std::string("\"id\" is a ") + value.type_name() + ", not a string or integer");
    } else if (key == "text") {
      if (!value.is_string())
        return fail(std::move(p), ControlErrorKind::WrongType,
                    std::string("\"text\" is a ") + value.type_name() + ", not a string");
      change.text = value.get<std::string>();
    } else if (key == "expressions") {
      if (!value.is_array())
        return fail(
            std::move(p), ControlErrorKind::WrongType,
            std::string("\"expressions\" is a ") + value.type_name() + ", not an array of strings");
      std::vector<std::string> list;
      for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
          return fail(std::move(p), ControlErrorKind::WrongType,
                      "\"expressions\"[" + std::to_string(i) + "] is a " + value[i].type_name() +
                          ", not a string");
        list.push_back(value[i].get<std::string>());
      }
      change.expressions = std::move(list);
    } else {
      return fail(std::move(p), ControlErrorKind::UnknownField,
                  "unknown field \"" + key + "\" (known: text, expressions, id)");
    }
  }
  if (!change.text && !change.expressions)
    return fail(std::move(p), ControlErrorKind::NothingToSet,
                "message sets nothing: give \"text\" or \"expressions\"");
  p.change = std::move(change);
  return p;
}

std::string control_applied_reply(const std::string &stream, const ControlParse &parse,
                                  const std::string &target) {
  nlohmann::json applied = nlohmann::json::object();
  if (parse.change && parse.change->text) applied["text"] = *parse.change->text;
  if (parse.change && parse.change->expressions)
    applied["expressions"] = *parse.change->expressions;
  nlohmann::json r = {{"stream", stream}, {"ok", true}, {"applied", applied}, {"target", target}};
  r["id"] = id_value(parse.id_json);
  return dump(r);
}

std::string control_error_reply(const std::string &stream, const std::string &error,
                                const std::string &message, const std::string &id_json) {
  nlohmann::json r = {{"stream", stream}, {"ok", false}, {"error", error}, {"message", message}};
  r["id"] = id_value(id_json);
  return dump(r);
}

std::string control_error_reply(const std::string &stream, const ControlParse &parse) {
  const std::string name = parse.error ? control_error_name(parse.error->kind) : "unknown";
  return control_error_reply(stream, name, parse.error ? parse.error->message : "", parse.id_json);
}

}  // namespace refseg::publish
