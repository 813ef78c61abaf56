#include "faultfs/crash_policy.h"

#include <array>

#include "faultfs/text_fields.h"

namespace kiln::faultfs {
namespace {

using internal::ParseDecimal;
using internal::SplitFields;
using internal::TextError;

constexpr std::array<std::string_view, 4> kDataLossNames = {"drop_unsynced", "keep_prefix",
                                                            "keep_subset", "torn_write"};
constexpr std::array<std::string_view, 3> kDirLossNames = {"drop_unsynced", "keep_prefix",
                                                           "keep_subset"};
constexpr std::array<std::string_view, 2> kTornFillNames = {"zeros", "garbage"};

constexpr std::array<NamedCrashPolicy, 5> kPresets = {{
    {"strict", CrashPolicy{}},
    {"prefix", CrashPolicy{.data = DataLoss::kKeepPrefix, .dirs = DirLoss::kKeepPrefix}},
    {"reorder", CrashPolicy{.data = DataLoss::kKeepSubset, .dirs = DirLoss::kKeepSubset}},
    {"torn", CrashPolicy{.data = DataLoss::kTornWrite,
                         .dirs = DirLoss::kKeepSubset,
                         .torn_fill = TornFill::kZeros}},
    {"torn_garbage", CrashPolicy{.data = DataLoss::kTornWrite,
                                 .dirs = DirLoss::kKeepSubset,
                                 .torn_fill = TornFill::kGarbage}},
}};

template <typename Enum, size_t kCount>
absl::StatusOr<Enum> ParseEnum(const std::array<std::string_view, kCount>& names,
                               std::string_view what, std::string_view name) {
  for (size_t i = 0; i < kCount; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return TextError(what, name);
}

}  // namespace

std::span<const NamedCrashPolicy> CrashPolicyPresets() { return kPresets; }

std::optional<CrashPolicy> FindCrashPolicyPreset(std::string_view name) {
  for (const NamedCrashPolicy& preset : kPresets) {
    if (preset.name == name) return preset.policy;
  }
  return std::nullopt;
}

std::string_view DataLossName(DataLoss loss) {
  return kDataLossNames.at(static_cast<size_t>(loss));
}
std::string_view DirLossName(DirLoss loss) { return kDirLossNames.at(static_cast<size_t>(loss)); }
std::string_view TornFillName(TornFill fill) {
  return kTornFillNames.at(static_cast<size_t>(fill));
}

absl::StatusOr<DataLoss> ParseDataLoss(std::string_view name) {
  return ParseEnum<DataLoss>(kDataLossNames, "unknown data loss policy", name);
}
absl::StatusOr<DirLoss> ParseDirLoss(std::string_view name) {
  return ParseEnum<DirLoss>(kDirLossNames, "unknown directory loss policy", name);
}
absl::StatusOr<TornFill> ParseTornFill(std::string_view name) {
  return ParseEnum<TornFill>(kTornFillNames, "unknown torn fill", name);
}

std::string CrashPolicyToText(const CrashPolicy& policy) {
  std::string text = "data=";
  text.append(DataLossName(policy.data));
  text.append(" dirs=").append(DirLossName(policy.dirs));
  text.append(" sector_size=").append(std::to_string(policy.sector_size_bytes));
  text.append(" fill=").append(TornFillName(policy.torn_fill));
  return text;
}

absl::StatusOr<CrashPolicy> ParseCrashPolicy(std::string_view text) {
  if (std::optional<CrashPolicy> preset = FindCrashPolicyPreset(internal::TrimSpaces(text))) {
    return *preset;
  }
  const std::vector<std::string_view> fields = SplitFields(text, ' ');
  if (fields.empty()) return TextError("empty crash policy", text);
  CrashPolicy policy;
  // One bit per key, so a repeated key is an error rather than a silent override.
  uint32_t seen_keys = 0;
  for (std::string_view field : fields) {
    const size_t equals = field.find('=');
    if (equals == std::string_view::npos) return TextError("crash policy field without '='", field);
    const std::string_view key = field.substr(0, equals);
    const std::string_view value = field.substr(equals + 1);
    uint32_t key_bit = 0;
    if (key == "data") {
      key_bit = 1;
      absl::StatusOr<DataLoss> data = ParseDataLoss(value);
      if (!data.ok()) return data.status();
      policy.data = *data;
    } else if (key == "dirs") {
      key_bit = 2;
      absl::StatusOr<DirLoss> dirs = ParseDirLoss(value);
      if (!dirs.ok()) return dirs.status();
      policy.dirs = *dirs;
    } else if (key == "sector_size") {
      key_bit = 4;
      const std::optional<uint64_t> size = ParseDecimal(value);
      if (!size || *size < kMinSectorSizeBytes || *size > kMaxSectorSizeBytes) {
        return TextError("sector_size out of range", value);
      }
      policy.sector_size_bytes = static_cast<uint32_t>(*size);
    } else if (key == "fill") {
      key_bit = 8;
      absl::StatusOr<TornFill> fill = ParseTornFill(value);
      if (!fill.ok()) return fill.status();
      policy.torn_fill = *fill;
    } else {
      return TextError("unknown crash policy key", key);
    }
    if ((seen_keys & key_bit) != 0) return TextError("repeated crash policy key", key);
    seen_keys |= key_bit;
  }
  return policy;
}

}  // namespace kiln::faultfs
