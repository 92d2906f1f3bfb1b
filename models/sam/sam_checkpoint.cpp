#include "sam/sam_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include <cstdio>
#include <functional>
#include <memory>

#include "clip/zip_records.h"
#include "common/model_error.h"

namespace refseg::sam {
namespace {

std::string shape_of(const at::Tensor &t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

bool starts_with(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The part of a record name after its archive directory ("archive/data.pkl"
// -> "data.pkl").
std::string inner_name(const std::string &record) {
  const auto slash = record.find('/');
  return slash == std::string::npos ? record : record.substr(slash + 1);
}

std::string read_head(const std::string &path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(&head[0], static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

// What the file is, when it is not a zip archive, for the message.
std::string describe_not_zip(const std::string &head) {
  if (head.empty()) return "an empty file";
  if (starts_with(head, "PK\x03\x04"))
    return "a truncated or damaged zip archive (it starts like one but has no end-of-central-"
           "directory record)";
  if (static_cast<unsigned char>(head[0]) == 0x80)
    return "a bare pickle (torch.save's pre-1.6 format, not the zip format the released SAM "
           "checkpoints use; re-save it with torch.save(torch.load(f), f2))";
  return "not a zip archive (torch.save of a state dict expected)";
}

// ---------------------------------------------------------------- unpickling
//
// A reader of the pickle torch.save writes for a state dict (protocol 2 by
// default, up to 4 for newer callers): OrderedDicts (their _metadata state is
// ignored), tensors rebuilt by torch._utils._rebuild_tensor_v2 (or
// _rebuild_parameter) from storages given as persistent ids
// ('storage', torch.<Type>Storage, key, location, numel) whose bytes are the
// zip record data/<key>. Any other callable is refused: a state dict holds
// nothing else, and nothing in the file is ever run. (LibTorch 1.13's jit
// unpickler does not take Python's OrderedDict-with-state BUILD.)

struct PyValue;
using Py = std::shared_ptr<PyValue>;

struct PyValue {
  enum Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor,
    Mark
  };
  Kind kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s;                           // Str, Bytes, Global ("module.name"), Storage (its key)
  std::vector<Py> items;                   // Tuple, List
  std::vector<std::pair<Py, Py>> entries;  // Dict
  at::ScalarType dtype = at::kFloat;       // Storage
  torch::Tensor tensor;                    // Tensor, Storage (its bytes)
};

const char *kind_name(PyValue::Kind k) {
  static const char *const names[] = {"None",    "bool",   "int",  "float", "str",
                                      "bytes",   "tuple",  "list", "dict",  "global",
                                      "storage", "tensor", "mark"};
  return names[k];
}

Py make(PyValue::Kind k) {
  auto v = std::make_shared<PyValue>();
  v->kind = k;
  return v;
}

at::ScalarType storage_dtype(const std::string &global, const std::string &file) {
  static const std::map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat},       {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.DoubleStorage", at::kDouble},
      {"torch.LongStorage", at::kLong},         {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},       {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},         {"torch.BoolStorage", at::kBool}};
  const auto it = types.find(global);
  if (it == types.end())
    throw ModelError(file + ": a storage of type " + global + " (not a supported tensor type)");
  return it->second;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(const std::string &file, const std::string &pickle,
                     std::function<std::string(const std::string &)> storage_bytes)
      : file_(file), p_(pickle), storage_bytes_(std::move(storage_bytes)) {}

  Py run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80:
          byte();
          break;  // PROTO
        case 0x95:
          take(8);
          break;   // FRAME
        case '.':  // STOP
          if (stack_.size() != 1)
            fail("the pickle ends with " + std::to_string(stack_.size()) + " values");
          return stack_.back();
        case '(':
          push(make(PyValue::Mark));
          break;
        case ')':
          push(make(PyValue::Tuple));
          break;
        case 't': {
          auto t = make(PyValue::Tuple);
          t->items = pop_to_mark();
          push(t);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const size_t n = op - 0x84;
          auto t = make(PyValue::Tuple);
          if (stack_.size() < n) fail("stack underflow");
          t->items.assign(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(t);
          break;
        }
        case '}':
          push(make(PyValue::Dict));
          break;
        case ']':
          push(make(PyValue::List));
          break;
        case 'l': {
          auto l = make(PyValue::List);
          l->items = pop_to_mark();
          push(l);
          break;
        }
        case 'd': {
          auto d = make(PyValue::Dict);
          auto items = pop_to_mark();
          if (items.size() % 2) fail("DICT with an odd number of items");
          for (size_t k = 0; k < items.size(); k += 2)
            d->entries.emplace_back(items[k], items[k + 1]);
          push(d);
          break;
        }
        case 'a': {
          auto v = pop();
          top(PyValue::List)->items.push_back(v);
          break;
        }
        case 'e': {
          auto items = pop_to_mark();
          auto l = top(PyValue::List);
          l->items.insert(l->items.end(), items.begin(), items.end());
          break;
        }
        case 's': {
          auto v = pop();
          auto k = pop();
          top(PyValue::Dict)->entries.emplace_back(k, v);
          break;
        }
        case 'u': {
          auto items = pop_to_mark();
          if (items.size() % 2) fail("SETITEMS with an odd number of items");
          auto d = top(PyValue::Dict);
          for (size_t k = 0; k < items.size(); k += 2)
            d->entries.emplace_back(items[k], items[k + 1]);
          break;
        }
        case 'X':
          push_str(PyValue::Str, take(u32()));
          break;
        case 0x8c:
          push_str(PyValue::Str, take(byte()));
          break;
        case 0x8d:
          push_str(PyValue::Str, take(u64()));
          break;
        case 'T':
          push_str(PyValue::Bytes, take(u32()));
          break;
        case 'U':
          push_str(PyValue::Bytes, take(byte()));
          break;
        case 'B':
          push_str(PyValue::Bytes, take(u32()));
          break;
        case 'C':
          push_str(PyValue::Bytes, take(byte()));
          break;
        case 'J':
          push_int(static_cast<int32_t>(u32()));
          break;
        case 'K':
          push_int(byte());
          break;
        case 'M': {
          const uint32_t lo = byte();
          push_int(lo | (uint32_t(byte()) << 8));
          break;
        }
        case 0x8a: {  // LONG1: little-endian two's complement
          const std::string b = take(byte());
          if (b.size() > 8) fail("an integer over 64 bits");
          uint64_t v = 0;
          for (size_t k = 0; k < b.size(); ++k) v |= uint64_t(uint8_t(b[k])) << (8 * k);
          if (!b.empty() && b.size() < 8 && (uint8_t(b.back()) & 0x80))
            v |= ~uint64_t(0) << (8 * b.size());
          push_int(static_cast<int64_t>(v));
          break;
        }
        case 'N':
          push(make(PyValue::None));
          break;
        case 0x88:
        case 0x89: {
          auto b = make(PyValue::Bool);
          b->i = op == 0x88;
          push(b);
          break;
        }
        case 'G': {
          const std::string b = take(8);
          uint64_t v = 0;
          for (int k = 0; k < 8; ++k) v = (v << 8) | uint8_t(b[k]);  // big-endian
          auto x = make(PyValue::Float);
          std::memcpy(&x->f, &v, 8);
          push(x);
          break;
        }
        case 'c': {  // GLOBAL "module\nname\n"
          const std::string module = line(), name = line();
          push_str(PyValue::Global, module + "." + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop(), module = pop();
          if (name->kind != PyValue::Str || module->kind != PyValue::Str)
            fail("STACK_GLOBAL of non-strings");
          push_str(PyValue::Global, module->s + "." + name->s);
          break;
        }
        case 'R': {
          auto args = pop();
          auto fn = pop();
          push(call(fn, args));
          break;
        }
        case 0x81: {
          auto args = pop();
          auto cls = pop();
          push(call(cls, args));
          break;
        }            // NEWOBJ
        case 'b': {  // BUILD: an OrderedDict's _metadata
          pop();
          auto obj = stack_.empty() ? nullptr : stack_.back();
          if (!obj || (obj->kind != PyValue::Dict && obj->kind != PyValue::Tensor))
            fail("object state for a " + std::string(obj ? kind_name(obj->kind) : "nothing"));
          break;
        }
        case 'Q': {
          auto pid = pop();
          push(persistent(pid));
          break;
        }
        case 'q':
          memo(byte());
          break;
        case 'r':
          memo(u32());
          break;
        case 0x94:
          memo(memo_.size());
          break;  // MEMOIZE
        case 'h':
          get(byte());
          break;
        case 'j':
          get(u32());
          break;
        case '0':
          pop();
          break;
        case '1':
          pop_to_mark();
          break;
        case '2':
          push(stack_.empty() ? fail_py("DUP on an empty stack") : stack_.back());
          break;
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("pickle opcode ") + hex +
               " (not one torch.save writes for a state dict)");
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string &what) const {
    throw ModelError(file_ + ": data.pkl at byte " + std::to_string(pos_) + ": " + what +
                     ": not a torch.save'd state dict");
  }
  Py fail_py(const std::string &what) const { fail(what); }

  uint8_t byte() {
    if (pos_ >= p_.size()) fail("the pickle ends early");
    return static_cast<uint8_t>(p_[pos_++]);
  }
  std::string take(uint64_t n) {
    if (n > p_.size() - pos_) fail("the pickle ends early");
    std::string s = p_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v |= uint32_t(byte()) << (8 * k);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v |= uint64_t(byte()) << (8 * k);
    return v;
  }
  std::string line() {
    const auto end = p_.find('\n', pos_);
    if (end == std::string::npos) fail("the pickle ends early");
    std::string s = p_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void push(Py v) { stack_.push_back(std::move(v)); }
  void push_int(int64_t v) {
    auto x = make(PyValue::Int);
    x->i = v;
    push(x);
  }
  void push_str(PyValue::Kind k, std::string s) {
    auto x = make(k);
    x->s = std::move(s);
    push(x);
  }
  Py pop() {
    if (stack_.empty()) fail("stack underflow");
    Py v = stack_.back();
    stack_.pop_back();
    if (v->kind == PyValue::Mark) fail("a mark where a value was expected");
    return v;
  }
  Py top(PyValue::Kind k) {
    if (stack_.empty() || stack_.back()->kind != k)
      fail(std::string("expected a ") + kind_name(k) + " on the stack");
    return stack_.back();
  }
  std::vector<Py> pop_to_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->kind != PyValue::Mark) --m;
    if (m == 0) fail("no mark on the stack");
    std::vector<Py> items(stack_.begin() + m, stack_.end());
    stack_.resize(m - 1);
    return items;
  }
  void memo(uint64_t k) {
    if (stack_.empty()) fail("memo of an empty stack");
    memo_[k] = stack_.back();
  }
  void get(uint64_t k) {
    const auto it = memo_.find(k);
    if (it == memo_.end()) fail("memo " + std::to_string(k) + " was never stored");
    push(it->second);
  }

  int64_t as_int(const Py &v, const char *what) const {
    if (v->kind != PyValue::Int && v->kind != PyValue::Bool)
      fail(std::string(what) + " is not an int");
    return v->i;
  }
  std::vector<int64_t> int_tuple(const Py &v, const char *what) const {
    if (v->kind != PyValue::Tuple) fail(std::string(what) + " is not a tuple");
    std::vector<int64_t> out;
    for (const auto &x : v->items) out.push_back(as_int(x, what));
    return out;
  }

  Py persistent(const Py &pid) {
    if (pid->kind != PyValue::Tuple || pid->items.size() < 5 ||
        pid->items[0]->kind != PyValue::Str || pid->items[0]->s != "storage" ||
        pid->items[1]->kind != PyValue::Global || pid->items[2]->kind != PyValue::Str)
      fail("a persistent id that is not a tensor storage");
    const std::string key = pid->items[2]->s;
    auto it = storages_.find(key);
    if (it != storages_.end()) return it->second;
    auto st = make(PyValue::Storage);
    st->s = key;
    st->dtype = storage_dtype(pid->items[1]->s, file_);
    const int64_t numel = as_int(pid->items[4], "a storage's size");
    const std::string bytes = storage_bytes_(key);
    const int64_t element = static_cast<int64_t>(c10::elementSize(st->dtype));
    if (numel < 0 || static_cast<int64_t>(bytes.size()) != numel * element)
      fail("storage " + key + " holds " + std::to_string(bytes.size()) + " bytes for " +
           std::to_string(numel) + " elements of " + std::to_string(element) + " bytes");
    st->tensor = torch::empty({numel}, torch::TensorOptions().dtype(st->dtype));
    if (!bytes.empty()) std::memcpy(st->tensor.data_ptr(), bytes.data(), bytes.size());
    storages_[key] = st;
    return st;
  }

  Py call(const Py &fn, const Py &args) {
    if (fn->kind != PyValue::Global) fail(std::string("a call of a ") + kind_name(fn->kind));
    if (args->kind != PyValue::Tuple) fail("call arguments that are not a tuple");
    const std::string &name = fn->s;
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      if (!args->items.empty()) fail(name + " with arguments");
      return make(PyValue::Dict);
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      const auto &a = args->items;
      if (a.size() < 4 || a[0]->kind != PyValue::Storage) fail(name + " without a storage");
      const int64_t offset = as_int(a[1], "a tensor's storage offset");
      const auto size = int_tuple(a[2], "a tensor's size");
      const auto stride = int_tuple(a[3], "a tensor's stride");
      if (size.size() != stride.size()) fail("a tensor's size and stride differ in length");
      int64_t last = offset;  // the highest element the view reaches
      bool empty = false;
      for (size_t k = 0; k < size.size(); ++k) {
        if (size[k] < 0 || stride[k] < 0) fail("a negative tensor size or stride");
        if (size[k] == 0) empty = true;
        last += (size[k] - 1) * stride[k];
      }
      if (offset < 0 || (!empty && last >= a[0]->tensor.numel()))
        fail("a tensor reaching past its storage " + a[0]->s);
      auto t = make(PyValue::Tensor);
      t->tensor = a[0]->tensor.as_strided(size, stride, offset);
      return t;
    }
    if (name == "torch.jit._pickle.restore_type_tag") {  // LibTorch's pickle_save: (obj, type)
      if (args->items.empty()) fail(name + " without an object");
      return args->items[0];
    }
    if (name == "torch._utils._rebuild_parameter") {
      if (args->items.empty() || args->items[0]->kind != PyValue::Tensor)
        fail(name + " without a tensor");
      return args->items[0];
    }
    fail("a call of " + name + " (a state dict holds only tensors)");
  }

  const std::string &file_;
  const std::string p_;
  size_t pos_ = 0;
  std::function<std::string(const std::string &)> storage_bytes_;
  std::vector<Py> stack_;
  std::map<uint64_t, Py> memo_;
  std::map<std::string, Py> storages_;
};

}  // namespace

const torch::Tensor *SamCheckpoint::find(const std::string &name) const {
  for (const auto &kv : tensors)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

const torch::Tensor &SamCheckpoint::at(const std::string &name) const {
  if (const auto *t = find(name)) return *t;
  throw ModelError(path + ": missing tensor " + name);
}

const torch::Tensor &SamCheckpoint::at(const std::string &name, int64_t dims) const {
  const torch::Tensor &t = at(name);
  if (t.dim() != dims)
    throw ModelError(path + ": " + name + " has shape " + shape_of(t) + ", expected " +
                     std::to_string(dims) + " dimensions");
  return t;
}

int64_t SamCheckpoint::count_indexed(const std::string &prefix, const std::string &suffix) const {
  int64_t n = 0;
  while (has(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

std::vector<std::string> SamCheckpoint::names_with_prefix(const std::string &prefix) const {
  std::vector<std::string> out;
  for (const auto &kv : tensors)
    if (starts_with(kv.first, prefix)) out.push_back(kv.first);
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> read_state_dict(const std::string &path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelError(path + ": cannot open the SAM checkpoint (missing or unreadable)");
  }
  std::optional<std::vector<clip::ZipRecord>> records;
  try {
    records = clip::read_zip_directory(path);
  } catch (const ModelError &e) {
    throw ModelError(std::string(e.what()) + " (truncated or damaged SAM checkpoint?)");
  }
  if (!records) throw ModelError(path + ": " + describe_not_zip(read_head(path, 8)));

  bool has_data_pkl = false, has_code = false, has_constants = false;
  for (const auto &r : *records) {
    const std::string inner = inner_name(r.name);
    has_data_pkl |= inner == "data.pkl";
    has_code |= starts_with(inner, "code/");
    has_constants |= inner == "constants.pkl";
  }
  if (has_code || has_constants)
    throw ModelError(path +
                     ": a TorchScript module (it has code/ and constants.pkl records), not a "
                     "torch.save'd SAM state dict (a CLIP or TorchScript proposal model?)");
  if (!has_data_pkl)
    throw ModelError(path + ": a zip archive without data.pkl: not a torch.save'd state dict");

  const auto failing = clip::records_failing_crc(path, *records);
  if (!failing.empty()) {
    std::string names;
    for (size_t i = 0; i < failing.size() && i < 3; ++i) names += (i ? ", " : "") + failing[i].name;
    if (failing.size() > 3) names += ", ...";
    throw ModelError(path + ": damaged: " + std::to_string(failing.size()) +
                     " record(s) do not match their CRC-32 (" + names + ")");
  }

  const clip::ZipRecord *pickle = nullptr;
  std::map<std::string, const clip::ZipRecord *> by_name;
  for (const auto &r : *records) {
    by_name[r.name] = &r;
    if (inner_name(r.name) == "data.pkl") pickle = &r;
  }
  const std::string prefix = pickle->name.substr(0, pickle->name.size() - 8);  // "archive/"
  const auto read_record = [&](const clip::ZipRecord &r) {
    if (r.method != 0)
      throw ModelError(path + ": record " + r.name +
                       " is compressed (torch.save stores its "
                       "records uncompressed): not a torch.save'd state dict");
    return clip::read_stored_record(path, r);
  };
  if (const auto it = by_name.find(prefix + "byteorder"); it != by_name.end()) {
    const std::string order = read_record(*it->second);
    if (order != "little")
      throw ModelError(path + ": tensors saved in " + order + "-endian byte order");
  }
  StateDictUnpickler unpickler(path, read_record(*pickle), [&](const std::string &key) {
    const auto it = by_name.find(prefix + "data/" + key);
    if (it == by_name.end())
      throw ModelError(path + ": the storage record " + prefix + "data/" + key + " is missing");
    return read_record(*it->second);
  });
  const Py value = unpickler.run();
  if (value->kind != PyValue::Dict)
    throw ModelError(path + ": holds a " + kind_name(value->kind) +
                     ", not a state dict (a dict of name -> tensor)");

  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto &kv : value->entries) {
    if (kv.first->kind != PyValue::Str)
      throw ModelError(path + ": a state dict key is a " + kind_name(kv.first->kind) +
                       ", not a string: not a state dict");
    const std::string &name = kv.first->s;
    if (kv.second->kind != PyValue::Tensor)
      throw ModelError(path + ": entry " + name + " is a " + kind_name(kv.second->kind) +
                       ", not a tensor: not a state dict (a training checkpoint? the SAM "
                       "releases are the bare state dict)");
    tensors.emplace_back(name, kv.second->tensor);
  }
  return tensors;
}

SamCheckpoint read_sam_checkpoint(const std::string &path) {
  SamCheckpoint out;
  out.path = path;
  out.tensors = read_state_dict(path);
  for (const char *part : {"image_encoder.", "prompt_encoder.", "mask_decoder."})
    if (out.names_with_prefix(part).empty())
      throw ModelError(
          path + ": no " + std::string(part) + "* tensors: not a Segment Anything checkpoint (" +
          std::to_string(out.tensors.size()) + " tensors" +
          (out.tensors.empty() ? "" : ", the first " + out.tensors.front().first) + ")");
  return out;
}

namespace {

const torch::Tensor &need(const SamCheckpoint &c, const std::string &name, int64_t dim) {
  return c.at("image_encoder." + name, dim);
}

SamArchitecture tell_vit(const SamCheckpoint &c) {
  SamArchitecture a;
  a.encoder = SamEncoderKind::ViT;
  const auto &proj = need(c, "patch_embed.proj.weight", 4);  // [D, 3, 16, 16]
  a.embed_dim = proj.size(0);
  a.patch_size = proj.size(2);
  if (proj.size(1) != 3 || proj.size(3) != a.patch_size)
    throw ModelError(c.path + ": image_encoder.patch_embed.proj.weight has shape " +
                     shape_of(proj) + ", expected [D, 3, P, P]");
  const auto &pos = need(c, "pos_embed", 4);  // [1, 64, 64, D]
  if (pos.size(0) != 1 || pos.size(1) != pos.size(2) || pos.size(3) != a.embed_dim)
    throw ModelError(c.path + ": image_encoder.pos_embed has shape " + shape_of(pos) +
                     ", expected [1, S, S, " + std::to_string(a.embed_dim) + "]");
  a.embedding_size = pos.size(1);
  a.image_size = a.embedding_size * a.patch_size;
  a.depth = c.count_indexed("image_encoder.blocks.", ".attn.qkv.weight");
  if (a.depth == 0) throw ModelError(c.path + ": image_encoder has no blocks.N.attn.qkv.weight");
  a.mlp_dim = need(c, "blocks.0.mlp.lin1.weight", 2).size(0);
  // Heads: rel_pos_h is [2 * window - 1, head_dim] in windowed blocks and
  // [2 * (image_size / 16) - 1, head_dim] in the global ones.
  int64_t head_dim = 0, window = 0;
  for (int64_t i = 0; i < a.depth; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    const auto &rel_h = need(c, b + "attn.rel_pos_h", 2);
    if (head_dim == 0) head_dim = rel_h.size(1);
    if (rel_h.size(1) != head_dim || a.embed_dim % head_dim != 0)
      throw ModelError(c.path + ": image_encoder." + b + "attn.rel_pos_h has shape " +
                       shape_of(rel_h) + ", disagreeing with the other blocks' head size " +
                       std::to_string(head_dim));
    const int64_t side = (rel_h.size(0) + 1) / 2;
    if (side == a.embedding_size) {
      a.global_attn_indexes.push_back(i);
    } else {
      if (window != 0 && side != window)
        throw ModelError(c.path + ": image_encoder." + b + "attn.rel_pos_h has shape " +
                         shape_of(rel_h) + ": a window of " + std::to_string(side) +
                         " where the other blocks have " + std::to_string(window));
      window = side;
    }
  }
  a.num_heads = a.embed_dim / head_dim;
  a.window_size = window == 0 ? 14 : window;
  a.out_chans = need(c, "neck.0.weight", 4).size(0);
  const bool b = a.embed_dim == 768 && a.depth == 12 && a.num_heads == 12 &&
                 a.global_attn_indexes == std::vector<int64_t>{2, 5, 8, 11};
  const bool l = a.embed_dim == 1024 && a.depth == 24 && a.num_heads == 16 &&
                 a.global_attn_indexes == std::vector<int64_t>{5, 11, 17, 23};
  const bool h = a.embed_dim == 1280 && a.depth == 32 && a.num_heads == 16 &&
                 a.global_attn_indexes == std::vector<int64_t>{7, 15, 23, 31};
  a.name = b ? "vit_b" : l ? "vit_l" : h ? "vit_h" : "vit(custom)";
  return a;
}

SamArchitecture tell_tiny_vit(const SamCheckpoint &c) {
  SamArchitecture a;
  a.encoder = SamEncoderKind::TinyViT;
  a.patch_size = 4;  // the conv stem's two stride-2 convolutions
  int64_t n_layers = 0;
  while (!c.names_with_prefix("image_encoder.layers." + std::to_string(n_layers) + ".").empty())
    ++n_layers;
  if (n_layers < 2)
    throw ModelError(c.path + ": image_encoder.layers.* has " + std::to_string(n_layers) +
                     " stage(s); TinyViT has an MBConv stage and attention stages");
  for (int64_t s = 0; s < n_layers; ++s) {
    const std::string L = "layers." + std::to_string(s) + ".";
    if (s == 0) {
      const auto &c1 = need(c, L + "blocks.0.conv1.c.weight", 4);  // [hidden, dim, 1, 1]
      a.tiny_mbconv_hidden = c1.size(0);
      a.tiny_embed_dims.push_back(c1.size(1));
      a.tiny_depths.push_back(c.count_indexed("image_encoder." + L + "blocks.", ".conv1.c.weight"));
      a.tiny_num_heads.push_back(0);
      a.tiny_window_sizes.push_back(0);
      a.tiny_mlp_dims.push_back(0);
      continue;
    }
    const auto &qkv = need(c, L + "blocks.0.attn.qkv.weight", 2);  // [3 * h * kd(=d), dim]
    const int64_t dim = qkv.size(1);
    const auto &biases = need(c, L + "blocks.0.attn.attention_biases", 2);  // [heads, N]
    const int64_t heads = biases.size(0);
    const int64_t offsets = biases.size(1);
    // offsets = window * window for the distinct |dx|,|dy| pairs.
    int64_t window = 0;
    for (int64_t w = 1; w * w <= offsets; ++w)
      if (w * w == offsets) window = w;
    if (window == 0 || qkv.size(0) != 3 * dim)
      throw ModelError(c.path + ": image_encoder." + L + "blocks.0.attn has qkv " + shape_of(qkv) +
                       " and attention_biases " + shape_of(biases) + ": not TinyViT's attention");
    a.tiny_embed_dims.push_back(dim);
    a.tiny_depths.push_back(c.count_indexed("image_encoder." + L + "blocks.", ".attn.qkv.weight"));
    a.tiny_num_heads.push_back(heads);
    a.tiny_window_sizes.push_back(window);
    a.tiny_mlp_dims.push_back(need(c, L + "blocks.0.mlp.fc1.weight", 2).size(0));
  }
  a.out_chans = need(c, "neck.0.weight", 4).size(0);
  a.tiny_num_classes = need(c, "head.weight", 2).size(0);
  a.embed_dim = a.tiny_embed_dims.back();
  a.depth = 0;
  for (auto d : a.tiny_depths) a.depth += d;
  const bool mobile = a.tiny_embed_dims == std::vector<int64_t>{64, 128, 160, 320} &&
                      a.tiny_depths == std::vector<int64_t>{2, 2, 6, 2} &&
                      a.tiny_num_heads == std::vector<int64_t>{0, 4, 5, 10} &&
                      a.tiny_window_sizes == std::vector<int64_t>{0, 7, 14, 7};
  a.name = mobile ? "tiny_vit" : "tiny_vit(custom)";
  return a;
}

}  // namespace

SamArchitecture tell_architecture(const SamCheckpoint &c) {
  if (c.has("image_encoder.patch_embed.proj.weight") && c.has("image_encoder.pos_embed"))
    return tell_vit(c);
  if (c.has("image_encoder.patch_embed.seq.0.c.weight")) return tell_tiny_vit(c);
  throw ModelError(c.path +
                   ": the image_encoder.* tensors are neither SAM's ViT (patch_embed.proj, "
                   "pos_embed) nor MobileSAM's TinyViT (patch_embed.seq.0.c)");
}

void load_parameters(torch::nn::Module &module, const SamCheckpoint &c, const std::string &prefix) {
  std::map<std::string, const torch::Tensor *> wanted;
  for (const auto &kv : c.tensors)
    if (starts_with(kv.first, prefix)) wanted[kv.first] = &kv.second;
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto &p : module.named_parameters(/*recurse=*/true))
    targets.emplace_back(p.key(), p.value());
  for (const auto &b : module.named_buffers(/*recurse=*/true))
    targets.emplace_back(b.key(), b.value());
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  for (auto &t : targets) {
    const std::string name = prefix + t.first;
    const auto it = wanted.find(name);
    if (it == wanted.end()) throw ModelError(c.path + ": missing tensor " + name);
    const torch::Tensor &src = *it->second;
    if (src.sizes() != t.second.sizes())
      throw ModelError(c.path + ": tensor " + name + " has shape " + shape_of(src) + ", expected " +
                       shape_of(t.second));
    if (src.is_floating_point() && !torch::isfinite(src).all().item<bool>())
      throw ModelError(c.path + ": tensor " + name + " holds NaN or Inf values");
    t.second.copy_(src);
    used.insert(name);
  }
  for (const auto &kv : wanted)
    if (!used.count(kv.first))
      throw ModelError(c.path + ": unexpected tensor " + kv.first + " (shape " +
                       shape_of(*kv.second) +
                       "): the model built from the checkpoint has no such "
                       "parameter");
}

}  // namespace refseg::sam
