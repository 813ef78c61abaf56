// Target `version_edit`: encoded VersionEdits (engine/docs/manifest_format.md,
// "VersionEdit encoding"), decoded and applied in order as recovery does.
//
// Input: up to 16 edits, each a length-prefixed (2 bytes) payload; the last
// may run to the end of the input.
//
// Contract: DecodeFrom gives an edit or Corruption; a decoded edit encodes
// canonically and decodes back equal; ManifestState::Apply accepts it or
// says FailedPrecondition / Internal and leaves the state unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/version_edit.h"
#include "db/version_set.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_target.h"

namespace kiln::fuzz {
namespace {

constexpr size_t kMaxEdits = 16;
constexpr size_t kMaxEditBytes = 65'535;

void Run(FuzzInput& input) {
  ManifestState state;
  for (size_t i = 0; i < kMaxEdits && !input.empty(); ++i) {
    const std::string_view payload = input.LengthPrefixed(kMaxEditBytes);
    absl::StatusOr<VersionEdit> edit = VersionEdit::DecodeFrom(payload, "/db/MANIFEST-000001", 32);
    CheckParseStatus(edit.status(), "VersionEdit::DecodeFrom");
    if (!edit.ok()) continue;
    static_cast<void>(edit->DebugString());

    std::string encoded;
    edit->EncodeTo(encoded);
    absl::StatusOr<VersionEdit> again = VersionEdit::DecodeFrom(encoded, "re-encoded", 0);
    KILN_FUZZ_CHECK(again.ok(), "an edit's encoding does not decode: " + again.status().ToString());
    KILN_FUZZ_CHECK(*again == *edit, "round trip changed the edit");
    std::string encoded_again;
    again->EncodeTo(encoded_again);
    KILN_FUZZ_CHECK(encoded_again == encoded, "the encoding is not canonical");

    const std::string before = state.version->DebugString();
    const absl::Status applied = state.Apply(*edit);
    CheckStatusIn(applied, {absl::StatusCode::kFailedPrecondition, absl::StatusCode::kInternal},
                  "ManifestState::Apply");
    if (!applied.ok()) {
      KILN_FUZZ_CHECK(state.version->DebugString() == before, "a refused edit changed the state");
    }
  }
  static_cast<void>(state.version->DebugString());
}

}  // namespace
}  // namespace kiln::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::fuzz::FuzzInput input(data, size);
  kiln::fuzz::Run(input);
  return 0;
}
