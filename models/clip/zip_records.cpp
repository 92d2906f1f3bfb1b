#include "clip/zip_records.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "common/model_error.h"

namespace refseg::clip {

namespace {

constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint32_t kDirectoryEntry = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::size_t kChunk = 1 << 20;

std::uint16_t u16(const unsigned char *p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}
std::uint32_t u32(const unsigned char *p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint64_t u64(const unsigned char *p) {
  return static_cast<std::uint64_t>(u32(p)) | static_cast<std::uint64_t>(u32(p + 4)) << 32;
}

class File {
 public:
  explicit File(const std::string &path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw ModelError(path + ": file not found or not readable");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<std::uint64_t>(in_.tellg());
  }
  std::uint64_t size() const { return size_; }
  // Exactly `n` bytes at `offset`, or a ModelError naming what was read.
  std::string read(std::uint64_t offset, std::uint64_t n, const char *what) {
    if (offset > size_ || n > size_ - offset)
      throw ModelError(path_ + ": not a TorchScript archive (damaged zip: " + what +
                       " points past the end of the file)");
    std::string bytes(n, '\0');
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(bytes.data(), static_cast<std::streamsize>(n));
    if (static_cast<std::uint64_t>(in_.gcount()) != n)
      throw ModelError(path_ + ": read error in " + what);
    return bytes;
  }
  // Reads into `buffer`, at most its size; returns the count.
  std::size_t read_some(std::uint64_t offset, std::vector<char> &buffer, std::size_t n) {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(buffer.data(), static_cast<std::streamsize>(std::min(n, buffer.size())));
    return static_cast<std::size_t>(in_.gcount());
  }

 private:
  std::string path_;
  std::ifstream in_;
  std::uint64_t size_ = 0;
};

const unsigned char *bytes_of(const std::string &s) {
  return reinterpret_cast<const unsigned char *>(s.data());
}

[[noreturn]] void damaged(const std::string &path, const std::string &what) {
  throw ModelError(path + ": not a TorchScript archive (damaged zip directory: " + what + ")");
}

// CRC-32 of `n` stored bytes from `offset`.
std::uint32_t crc_of_stored(File &file, std::uint64_t offset, std::uint64_t n) {
  std::vector<char> buffer(kChunk);
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const std::size_t got = file.read_some(
        offset, buffer, static_cast<std::size_t>(std::min<std::uint64_t>(n, kChunk)));
    if (got == 0) return ~static_cast<std::uint32_t>(crc);  // short file: cannot match
    crc = crc32(crc, reinterpret_cast<const Bytef *>(buffer.data()), static_cast<uInt>(got));
    offset += got;
    n -= got;
  }
  return static_cast<std::uint32_t>(crc);
}

// CRC-32 of the inflated data of a deflated record; nullopt when it does not
// inflate to `size` bytes.
std::optional<std::uint32_t> crc_of_deflated(File &file, const ZipRecord &r) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return std::nullopt;
  std::vector<char> in(kChunk), out(kChunk);
  uLong crc = crc32(0L, Z_NULL, 0);
  std::uint64_t offset = r.data_offset, left = r.compressed_size, produced = 0;
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    if (z.avail_in == 0) {
      if (left == 0) break;
      const std::size_t got = file.read_some(
          offset, in, static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunk)));
      if (got == 0) break;
      offset += got;
      left -= got;
      z.next_in = reinterpret_cast<Bytef *>(in.data());
      z.avail_in = static_cast<uInt>(got);
    }
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    status = inflate(&z, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;
    const std::size_t n = out.size() - z.avail_out;
    crc = crc32(crc, reinterpret_cast<const Bytef *>(out.data()), static_cast<uInt>(n));
    produced += n;
  }
  inflateEnd(&z);
  if (status != Z_STREAM_END || produced != r.size) return std::nullopt;
  return static_cast<std::uint32_t>(crc);
}

}  // namespace

std::optional<std::vector<ZipRecord>> read_zip_directory(const std::string &path) {
  File file(path);
  // The end-of-central-directory record: 22 bytes plus a comment of up to
  // 64 KiB at the end of the file.
  const std::uint64_t tail_size = std::min<std::uint64_t>(file.size(), 22 + 0xFFFF);
  if (tail_size < 22) return std::nullopt;
  const std::string tail = file.read(file.size() - tail_size, tail_size, "the end of the file");
  std::size_t eocd = std::string::npos;
  for (std::size_t i = tail_size - 22 + 1; i-- > 0;) {
    if (u32(bytes_of(tail) + i) == kEndOfDirectory) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos) return std::nullopt;
  const unsigned char *e = bytes_of(tail) + eocd;
  std::uint64_t entries = u16(e + 10);
  std::uint64_t directory_size = u32(e + 12);
  std::uint64_t directory_offset = u32(e + 16);
  const std::uint64_t eocd_offset = file.size() - tail_size + eocd;
  if (entries == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF) {
    // ZIP64: a locator just before the record points at the real counts.
    if (eocd_offset < 20) damaged(path, "ZIP64 locator missing");
    const std::string locator = file.read(eocd_offset - 20, 20, "the ZIP64 locator");
    if (u32(bytes_of(locator)) != kZip64Locator) damaged(path, "ZIP64 locator missing");
    const std::string end64 = file.read(u64(bytes_of(locator) + 8), 56, "the ZIP64 directory end");
    if (u32(bytes_of(end64)) != kZip64EndOfDirectory) damaged(path, "ZIP64 directory end");
    entries = u64(bytes_of(end64) + 32);
    directory_size = u64(bytes_of(end64) + 40);
    directory_offset = u64(bytes_of(end64) + 48);
  }
  const std::string directory =
      file.read(directory_offset, directory_size, "the central directory");
  std::vector<ZipRecord> records;
  std::size_t at = 0;
  for (std::uint64_t k = 0; k < entries; ++k) {
    if (at + 46 > directory.size() || u32(bytes_of(directory) + at) != kDirectoryEntry)
      damaged(path, "entry " + std::to_string(k) + " of " + std::to_string(entries));
    const unsigned char *d = bytes_of(directory) + at;
    ZipRecord r;
    const std::uint16_t flags = u16(d + 8);
    r.method = u16(d + 10);
    r.crc32 = u32(d + 16);
    r.compressed_size = u32(d + 20);
    r.size = u32(d + 24);
    const std::size_t name_len = u16(d + 28), extra_len = u16(d + 30), comment_len = u16(d + 32);
    std::uint64_t local_offset = u32(d + 42);
    if (at + 46 + name_len + extra_len + comment_len > directory.size())
      damaged(path, "entry " + std::to_string(k) + " runs past the directory");
    r.name = directory.substr(at + 46, name_len);
    // ZIP64 extended information: the 64-bit values of the fields set to
    // all ones, in this order.
    const unsigned char *x = d + 46 + name_len;
    for (std::size_t p = 0; p + 4 <= extra_len;) {
      const std::uint16_t id = u16(x + p), len = u16(x + p + 2);
      if (p + 4 + len > extra_len) break;
      if (id == 0x0001) {
        std::size_t q = p + 4;
        auto take = [&](std::uint64_t &field, std::uint64_t all_ones) {
          if (field == all_ones && q + 8 <= p + 4 + len) {
            field = u64(x + q);
            q += 8;
          }
        };
        take(r.size, 0xFFFFFFFF);
        take(r.compressed_size, 0xFFFFFFFF);
        take(local_offset, 0xFFFFFFFF);
      }
      p += 4 + len;
    }
    if (flags & 1) r.method = 0xFFFF;  // encrypted: never checkable
    const std::string local =
        file.read(local_offset, 30, ("the local header of " + r.name).c_str());
    if (u32(bytes_of(local)) != kLocalHeader) damaged(path, "local header of " + r.name);
    r.data_offset = local_offset + 30 + u16(bytes_of(local) + 26) + u16(bytes_of(local) + 28);
    if (r.data_offset > file.size() || r.compressed_size > file.size() - r.data_offset)
      damaged(path, r.name + " runs past the end of the file");
    records.push_back(std::move(r));
    at += 46 + name_len + extra_len + comment_len;
  }
  return records;
}

std::vector<ZipRecord> records_failing_crc(const std::string &path,
                                           const std::vector<ZipRecord> &records) {
  File file(path);
  std::vector<ZipRecord> failing;
  for (const ZipRecord &r : records) {
    bool ok = false;
    if (r.method == 0) {
      ok = r.compressed_size == r.size && crc_of_stored(file, r.data_offset, r.size) == r.crc32;
    } else if (r.method == 8) {
      const auto crc = crc_of_deflated(file, r);
      ok = crc && *crc == r.crc32;
    }
    if (!ok) failing.push_back(r);
  }
  return failing;
}

std::string read_stored_record(const std::string &path, const ZipRecord &record) {
  File file(path);
  return file.read(record.data_offset, record.compressed_size, record.name.c_str());
}

}  // namespace refseg::clip
