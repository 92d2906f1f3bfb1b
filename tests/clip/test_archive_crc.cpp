// Loading checks the CRC-32 of every record of a weights archive: a copy of
// the committed refseg-tiny with bytes flipped inside one tensor's record
// (made here, in a temporary directory) is refused, naming the tensor.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "clip/openai_weights.h"
#include "clip/zip_records.h"
#include "common/model_error.h"

namespace fs = std::filesystem;

namespace {

const std::string kTiny = REFSEG_TINY_MODEL;

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "refseg_crc.XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string &name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The message of the ModelError `fn` throws ("" when it throws none).
template <typename Fn>
std::string model_error(Fn fn) {
  try {
    fn();
  } catch (const refseg::ModelError &e) {
    return e.what();
  }
  return "";
}

// The largest floating-point tensor of refseg-tiny, by name.
std::string largest_float_tensor(const refseg::clip::NamedTensors &tensors) {
  std::string best;
  std::size_t best_bytes = 0;
  for (const auto &kv : tensors) {
    if (!kv.second.is_floating_point()) continue;
    const std::size_t bytes = kv.second.storage().nbytes();
    if (bytes > best_bytes) {
      best = kv.first;
      best_bytes = bytes;
    }
  }
  return best;
}

}  // namespace

TEST(ArchiveCrc, CommittedModelPasses) {
  const auto records = refseg::clip::read_zip_directory(kTiny);
  ASSERT_TRUE(records.has_value());
  EXPECT_GT(records->size(), 10u);
  EXPECT_TRUE(refseg::clip::records_failing_crc(kTiny, *records).empty());
  EXPECT_NE(refseg::clip::load_openai_clip(kTiny), nullptr);
}

TEST(ArchiveCrc, NotAZipIsNoDirectory) {
  TempDir dir;
  const std::string path = dir.file("text.pt");
  write_file(path, "this is not a zip archive");
  EXPECT_FALSE(refseg::clip::read_zip_directory(path).has_value());
  // The loader's own message for such a file is unchanged.
  EXPECT_NE(model_error([&] { refseg::clip::load_openai_clip(path); }).find("TorchScript"),
            std::string::npos);
}

TEST(ArchiveCrc, FlippedBytesInsideATensorAreRefusedNamingIt) {
  const refseg::clip::NamedTensors tensors = refseg::clip::read_torchscript_tensors(kTiny);
  const std::string name = largest_float_tensor(tensors);
  ASSERT_FALSE(name.empty());
  const at::Tensor &tensor = tensors.at(name);
  const std::size_t element = tensor.element_size();
  const c10::Storage &storage = tensor.storage();
  ASSERT_GE(storage.nbytes(), 1024 + 4096 * element);

  // Where the tensor's bytes are in the file (a stored record).
  std::string file = read_file(kTiny);
  const char *data = static_cast<const char *>(storage.data_ptr().get());
  const std::string stored(data, storage.nbytes());
  const std::size_t at = file.find(stored);
  ASSERT_NE(at, std::string::npos) << name << " is not stored as-is in " << kTiny;

  // Flip the low (mantissa) byte of every element over 4 KB of changed
  // bytes from 1 KB into the storage: the values stay finite, so only the
  // archive's CRC can tell.
  const std::size_t first = at + 1024, flipped = 4096;
  std::string expected_values = stored;
  for (std::size_t k = 0; k < flipped; ++k) {
    file[first + k * element] ^= 0x5A;
    expected_values[1024 + k * element] ^= 0x5A;
  }
  at::Tensor corrupted = at::empty_like(tensor);
  ASSERT_EQ(corrupted.nbytes(), expected_values.size());
  std::memcpy(corrupted.data_ptr(), expected_values.data(), expected_values.size());
  ASSERT_TRUE(at::isfinite(corrupted).all().item<bool>())
      << "the flips should keep every value finite";
  ASSERT_FALSE(at::equal(corrupted, tensor));

  TempDir dir;
  const std::string path = dir.file("refseg-tiny.pt");
  write_file(path, file);
  const std::string error = model_error([&] { refseg::clip::load_openai_clip(path); });
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("tensor " + name + " "), std::string::npos) << error;
  EXPECT_NE(error.find("CRC-32"), std::string::npos) << error;
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  // Exactly one record fails, and it is the one holding those bytes.
  const auto records = refseg::clip::read_zip_directory(path);
  ASSERT_TRUE(records.has_value());
  const auto failing = refseg::clip::records_failing_crc(path, *records);
  ASSERT_EQ(failing.size(), 1u);
  EXPECT_LE(failing[0].data_offset, first);
  EXPECT_GT(failing[0].data_offset + failing[0].size, first);
  EXPECT_NE(error.find("(record " + failing[0].name + ")"), std::string::npos) << error;
}

TEST(ArchiveCrc, AFlippedByteOutsideTheTensorsNamesTheRecord) {
  // A record that holds no tensor (the pickled module layout).
  const auto records = refseg::clip::read_zip_directory(kTiny);
  ASSERT_TRUE(records.has_value());
  const auto pickle = std::find_if(records->begin(), records->end(), [](const auto &r) {
    return r.name.size() > 9 && r.name.compare(r.name.size() - 9, 9, "/data.pkl") == 0;
  });
  ASSERT_NE(pickle, records->end());
  ASSERT_EQ(pickle->method, 0);
  std::string file = read_file(kTiny);
  // The last byte of the pickle (its STOP opcode).
  file[pickle->data_offset + pickle->size - 1] ^= 0x01;
  TempDir dir;
  const std::string path = dir.file("refseg-tiny.pt");
  write_file(path, file);
  const std::string error = model_error([&] { refseg::clip::load_openai_clip(path); });
  EXPECT_NE(error.find("record " + pickle->name), std::string::npos) << error;
  EXPECT_NE(error.find("CRC-32"), std::string::npos) << error;
}

TEST(ArchiveCrc, TruncatedArchiveIsRefused) {
  std::string file = read_file(kTiny);
  file.resize(file.size() / 2);
  TempDir dir;
  const std::string path = dir.file("refseg-tiny.pt");
  write_file(path, file);
  const std::string error = model_error([&] { refseg::clip::load_openai_clip(path); });
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("TorchScript"), std::string::npos) << error;
}
