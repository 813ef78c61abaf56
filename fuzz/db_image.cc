#include "fuzz/db_image.h"

#include <iterator>

#include "util/assert.h"
#include "util/coding.h"

namespace kiln::fuzz {
namespace {

constexpr FileKind kKinds[] = {FileKind::kWal,  FileKind::kTable, FileKind::kManifest,
                               FileKind::kCurrent, FileKind::kTemp, FileKind::kLock,
                               FileKind::kBlob};

uint8_t KindCode(FileKind kind) {
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    if (kKinds[i] == kind) return static_cast<uint8_t>(i);
  }
  KILN_UNREACHABLE("no image code for this file kind");
}

}  // namespace

std::string DbImage::FileName(const ImageFile& file) {
  switch (file.kind) {
    case FileKind::kWal:
      return WalFileName("", file.number).substr(1);
    case FileKind::kTable:
      return TableFileName("", file.number).substr(1);
    case FileKind::kManifest:
      return ManifestFileName("", file.number).substr(1);
    case FileKind::kCurrent:
      return CurrentFileName("").substr(1);
    case FileKind::kTemp:
      return TempFileName("", file.number).substr(1);
    case FileKind::kLock:
      return LockFileName("").substr(1);
    case FileKind::kBlob:
      return BlobFileName("", file.number).substr(1);
    case FileKind::kOther:
      break;
  }
  KILN_UNREACHABLE("an image file of no kind");
}

DbImage DecodeDbImage(std::string_view input) {
  DbImage image;
  uint8_t options = 0;
  if (!input.empty()) {
    options = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
  }
  if (!input.empty()) {
    image.seed = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
  }
  image.seal_checksums = (options & 1) != 0;
  image.read_only = (options & 2) != 0;
  image.create_if_missing = (options & 4) != 0;
  image.background_tasks = ((options >> 3) & 3) % 3;
  image.write_after_reads = (options & 32) != 0;
  while (!input.empty() && image.files.size() < kMaxImageFiles) {
    ImageFile file;
    file.kind = kKinds[static_cast<uint8_t>(input[0]) % std::size(kKinds)];
    input.remove_prefix(1);
    std::string_view bytes;
    if (!GetVarint64(input, file.number) || !GetLengthPrefixed(input, bytes)) break;
    file.bytes.assign(bytes);
    image.files.push_back(std::move(file));
  }
  return image;
}

std::string EncodeDbImage(const DbImage& image) {
  KILN_ASSERT(image.files.size() <= kMaxImageFiles);
  KILN_ASSERT(image.background_tasks >= 0 && image.background_tasks <= 2);
  std::string out;
  out.push_back(static_cast<char>((image.seal_checksums ? 1 : 0) | (image.read_only ? 2 : 0) |
                                  (image.create_if_missing ? 4 : 0) |
                                  (image.background_tasks << 3) |
                                  (image.write_after_reads ? 32 : 0)));
  out.push_back(static_cast<char>(image.seed));
  for (const ImageFile& file : image.files) {
    out.push_back(static_cast<char>(KindCode(file.kind)));
    PutVarint64(out, file.number);
    PutLengthPrefixed(out, file.bytes);
  }
  return out;
}

}  // namespace kiln::fuzz
