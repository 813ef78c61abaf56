// A database directory as one fuzz input, for the `open_image` target and
// the corpus generator that writes its seeds:
//
//   image   = options:u8 seed:u8 file*
//   file    = kind:u8 number:varint64 length:varint32 bytes[length]
//
// kind (mod 7) picks the name: 0 NNNNNN.log, 1 NNNNNN.sst, 2 MANIFEST-NNNNNN,
// 3 CURRENT, 4 NNNNNN.tmp, 5 LOCK, 6 NNNNNN.blob (number ignored where the
// name has none). A truncated file entry ends the image. A later file of the
// same name replaces an earlier one.
//
// options bits: 0 seal checksums (logs and tables, fuzz/seal_checksums.h),
// 1 read_only, 2 create_if_missing, 3-4 background_tasks (mod 3),
// 5 write, flush and compact after the reads (read-write opens only).
#ifndef KILN_FUZZ_DB_IMAGE_H_
#define KILN_FUZZ_DB_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/file_names.h"

namespace kiln::fuzz {

inline constexpr size_t kMaxImageFiles = 64;

struct ImageFile {
  FileKind kind = FileKind::kOther;
  uint64_t number = 0;
  std::string bytes;
};

struct DbImage {
  bool seal_checksums = false;
  bool read_only = false;
  bool create_if_missing = false;
  int background_tasks = 0;  // [0, 2]
  bool write_after_reads = false;
  uint8_t seed = 0;          // the simulator's
  std::vector<ImageFile> files;

  // The file's name in the directory.
  static std::string FileName(const ImageFile& file);
};

// Never fails: every byte string is some image (see the file comment).
DbImage DecodeDbImage(std::string_view input);
// REQUIRES: at most kMaxImageFiles files, each of a kind DecodeDbImage names.
std::string EncodeDbImage(const DbImage& image);

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_DB_IMAGE_H_
