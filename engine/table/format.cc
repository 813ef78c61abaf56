#include "table/format.h"

#include "kiln/status.h"
#include "util/assert.h"
#include "util/checksum.h"

namespace kiln {
namespace {

constexpr size_t kFooterVersionOffset = kFooterHandleBytes;
constexpr size_t kFooterChecksumOffset = kFooterVersionOffset + 4;
constexpr size_t kFooterMagicOffset = kFooterChecksumOffset + 8;
static_assert(kFooterMagicOffset + 8 == kFooterBytes);

absl::Status FooterError(std::string_view path, uint64_t footer_offset, std::string_view what) {
  return Corruption(std::string(path) + ": footer at offset " + std::to_string(footer_offset) +
                    ": " + std::string(what));
}

}  // namespace

void EncodeBlockHandle(std::string& out, const BlockHandle& handle) {
  PutVarint64(out, handle.offset);
  PutVarint64(out, handle.size_bytes);
}

bool DecodeBlockHandle(std::string_view& input, BlockHandle& handle) {
  std::string_view cursor = input;
  BlockHandle decoded;
  if (!GetVarint64(cursor, decoded.offset) || !GetVarint64(cursor, decoded.size_bytes)) {
    return false;
  }
  handle = decoded;
  input = cursor;
  return true;
}

std::string EncodeFooter(const Footer& footer) {
  std::string out;
  out.reserve(kFooterBytes);
  EncodeBlockHandle(out, footer.metaindex);
  EncodeBlockHandle(out, footer.index);
  KILN_ASSERT(out.size() <= kFooterHandleBytes);
  out.resize(kFooterHandleBytes, '\0');
  PutFixed32(out, kTableFormatVersion);
  PutFixed64(out, Checksum64(out));
  PutFixed64(out, kTableMagic);
  KILN_ASSERT(out.size() == kFooterBytes);
  return out;
}

absl::StatusOr<Footer> DecodeFooter(std::string_view bytes, std::string_view path,
                                    uint64_t footer_offset) {
  if (bytes.size() != kFooterBytes) {
    return FooterError(
        path, footer_offset,
        "expected " + std::to_string(kFooterBytes) + " bytes, got " + std::to_string(bytes.size()));
  }
  // The magic first: a file that is not a table should say so, not "bad checksum".
  if (DecodeFixed64(bytes.data() + kFooterMagicOffset) != kTableMagic) {
    return FooterError(path, footer_offset, "bad magic number (not a table file)");
  }
  const uint32_t version = DecodeFixed32(bytes.data() + kFooterVersionOffset);
  if (version != kTableFormatVersion) {
    return FooterError(path, footer_offset,
                       "unknown table format version " + std::to_string(version));
  }
  if (Checksum64(bytes.substr(0, kFooterChecksumOffset)) !=
      DecodeFixed64(bytes.data() + kFooterChecksumOffset)) {
    return FooterError(path, footer_offset, "checksum mismatch");
  }
  std::string_view handles = bytes.substr(0, kFooterHandleBytes);
  Footer footer;
  if (!DecodeBlockHandle(handles, footer.metaindex) || !DecodeBlockHandle(handles, footer.index)) {
    return FooterError(path, footer_offset, "malformed block handle");
  }
  for (char padding : handles) {
    if (padding != '\0') return FooterError(path, footer_offset, "non-zero padding");
  }
  return footer;
}

std::string BlockOrigin(std::string_view path, uint64_t offset) {
  return std::string(path) + ": block at offset " + std::to_string(offset);
}

}  // namespace kiln
