// Target `current`: CURRENT's contents (engine/docs/manifest_format.md).
// Input: the file's bytes. Contract: ParseCurrentFile returns a manifest
// number or Corruption, and accepts exactly the canonical spelling of the
// number it returns.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/file_names.h"
#include "db/version_set.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kiln;
  const std::string_view contents(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<uint64_t> parsed = ParseCurrentFile(contents, "/db/CURRENT");
  fuzz::CheckParseStatus(parsed.status(), "ParseCurrentFile");
  if (!parsed.ok()) return 0;
  KILN_FUZZ_CHECK(*parsed > 0, "manifest number 0 parsed");
  const std::string canonical = ManifestFileName("/db", *parsed).substr(4) + "\n";
  KILN_FUZZ_CHECK(contents == canonical, "accepted a non-canonical CURRENT: " + canonical);
  return 0;
}
