// The records of a zip archive (TorchScript and torch.save files are zip
// archives) and a check of each record's CRC-32 against its bytes.
// LibTorch 1.13 does not make this check: its miniz is built with
// MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS, so flipped bytes inside a tensor's
// record load as different weights without a word.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace refseg::clip {

struct ZipRecord {
  std::string name;               // e.g. "refseg-tiny/data/7"
  std::uint64_t data_offset = 0;  // of the (compressed) data in the file
  std::uint64_t compressed_size = 0, size = 0;
  std::uint32_t crc32 = 0;   // as the central directory records it
  std::uint16_t method = 0;  // 0 stored, 8 deflate
};

// Every record of the archive at `path`, from its central directory (ZIP64
// included). nullopt when the file has no end-of-central-directory record
// (not a zip archive at all); throws refseg::ModelError naming the file when
// the directory or a local header is damaged or points outside the file.
std::optional<std::vector<ZipRecord>> read_zip_directory(const std::string &path);

// The records whose bytes do not match their CRC-32 (stored or deflated;
// a record in another compression method or encrypted counts as failing).
std::vector<ZipRecord> records_failing_crc(const std::string &path,
                                           const std::vector<ZipRecord> &records);

// The bytes of a stored (uncompressed) record, as they are in the file.
std::string read_stored_record(const std::string &path, const ZipRecord &record);

}  // namespace refseg::clip
