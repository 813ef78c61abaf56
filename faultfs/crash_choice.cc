#include "faultfs/crash_choice.h"

#include "faultfs/text_fields.h"
#include "util/assert.h"

namespace kiln::faultfs {
namespace {

using internal::ParseDecimal;
using internal::SplitFields;
using internal::TextError;
using internal::TrimSpaces;

// Bounds on what FromText accepts, so a corrupt scenario line cannot make it
// allocate without limit.
constexpr size_t kMaxChoiceTextBytes = 64u << 20;

char SectorOutcomeLetter(SectorOutcome outcome) {
  switch (outcome) {
    case SectorOutcome::kNew:
      return 'N';
    case SectorOutcome::kOld:
      return 'O';
    case SectorOutcome::kFill:
      return 'F';
  }
  KILN_UNREACHABLE("bad SectorOutcome");
}

std::optional<SectorOutcome> ParseSectorOutcome(char letter) {
  switch (letter) {
    case 'N':
      return SectorOutcome::kNew;
    case 'O':
      return SectorOutcome::kOld;
    case 'F':
      return SectorOutcome::kFill;
    default:
      return std::nullopt;
  }
}

// Parses "0,3,7" (strictly increasing) or "-".
absl::StatusOr<std::vector<uint64_t>> ParseKeptOps(std::string_view text) {
  std::vector<uint64_t> kept;
  if (text == "-") return kept;
  for (std::string_view piece : SplitFields(text, ',')) {
    const std::optional<uint64_t> index = ParseDecimal(piece);
    if (!index) return TextError("bad kept op index", piece);
    if (!kept.empty() && *index <= kept.back()) {
      return TextError("kept op indices must increase", text);
    }
    kept.push_back(*index);
  }
  if (kept.empty()) return TextError("empty keep list (use '-')", text);
  return kept;
}

// Splits "key=value"; empty key or value is an error.
absl::StatusOr<std::pair<std::string_view, std::string_view>> SplitKeyValue(
    std::string_view field) {
  const size_t equals = field.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == field.size()) {
    return TextError("expected key=value", field);
  }
  return std::pair(field.substr(0, equals), field.substr(equals + 1));
}

absl::StatusOr<InodeCrashChoice> ParseInodeGroup(std::string_view group) {
  const std::vector<std::string_view> fields = SplitFields(group, ' ');
  InodeCrashChoice choice;
  TornWriteChoice torn;
  // Which of the seven keys appeared; inode and keep are required, the torn
  // keys come all together or not at all.
  enum : uint32_t {
    kInode = 1,
    kKeep = 2,
    kTorn = 4,
    kSector = 8,
    kFill = 16,
    kSeed = 32,
    kSectors = 64
  };
  constexpr uint32_t kAllTorn = kTorn | kSector | kFill | kSeed | kSectors;
  uint32_t seen = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    absl::StatusOr<std::pair<std::string_view, std::string_view>> pair = SplitKeyValue(fields[i]);
    if (!pair.ok()) return pair.status();
    const auto [key, value] = *pair;
    uint32_t bit = 0;
    if (key == "inode") {
      if (i != 0) return TextError("inode= must start its group", group);
      bit = kInode;
      const std::optional<uint64_t> id = ParseDecimal(value);
      if (!id) return TextError("bad inode id", value);
      choice.inode_id = *id;
    } else if (key == "keep") {
      bit = kKeep;
      absl::StatusOr<std::vector<uint64_t>> kept = ParseKeptOps(value);
      if (!kept.ok()) return kept.status();
      choice.kept_ops = *std::move(kept);
    } else if (key == "torn") {
      bit = kTorn;
      const std::optional<uint64_t> index = ParseDecimal(value);
      if (!index) return TextError("bad torn op index", value);
      torn.op_index = *index;
    } else if (key == "sector_size") {
      bit = kSector;
      const std::optional<uint64_t> size = ParseDecimal(value);
      if (!size || *size < kMinSectorSizeBytes || *size > kMaxSectorSizeBytes) {
        return TextError("sector_size out of range", value);
      }
      torn.sector_size_bytes = static_cast<uint32_t>(*size);
    } else if (key == "fill") {
      bit = kFill;
      absl::StatusOr<TornFill> fill = ParseTornFill(value);
      if (!fill.ok()) return fill.status();
      torn.fill = *fill;
    } else if (key == "seed") {
      bit = kSeed;
      const std::optional<uint64_t> seed = ParseDecimal(value);
      if (!seed) return TextError("bad garbage seed", value);
      torn.garbage_seed = *seed;
    } else if (key == "sectors") {
      bit = kSectors;
      for (char letter : value) {
        const std::optional<SectorOutcome> outcome = ParseSectorOutcome(letter);
        if (!outcome) return TextError("bad sector outcome (want N, O or F)", value);
        torn.sectors.push_back(*outcome);
      }
    } else {
      return TextError("unknown crash choice key", key);
    }
    if ((seen & bit) != 0) return TextError("repeated crash choice key", key);
    seen |= bit;
  }
  if ((seen & (kInode | kKeep)) != (kInode | kKeep)) {
    return TextError("inode group needs inode= and keep=", group);
  }
  const uint32_t torn_seen = seen & kAllTorn;
  if (torn_seen != 0 && torn_seen != kAllTorn) {
    return TextError("torn write needs torn=, sector_size=, fill=, seed= and sectors=", group);
  }
  if (torn_seen == kAllTorn) choice.torn = std::move(torn);
  return choice;
}

}  // namespace

uint64_t CoveredSectorCount(uint64_t offset, uint64_t length, uint32_t sector_size_bytes) {
  KILN_ASSERT(sector_size_bytes > 0);
  if (length == 0) return 0;
  const uint64_t first = offset / sector_size_bytes;
  const uint64_t last = (offset + length - 1) / sector_size_bytes;
  return last - first + 1;
}

std::string CrashChoice::ToText() const {
  std::string text = "dirs=";
  if (kept_dir_ops.empty()) text.push_back('-');
  for (bool kept : kept_dir_ops) text.push_back(kept ? '1' : '0');
  for (const InodeCrashChoice& inode : inodes) {
    text.append("; inode=").append(std::to_string(inode.inode_id)).append(" keep=");
    if (inode.kept_ops.empty()) text.push_back('-');
    for (size_t i = 0; i < inode.kept_ops.size(); ++i) {
      if (i > 0) text.push_back(',');
      text.append(std::to_string(inode.kept_ops[i]));
    }
    if (inode.torn) {
      const TornWriteChoice& torn = *inode.torn;
      text.append(" torn=").append(std::to_string(torn.op_index));
      text.append(" sector_size=").append(std::to_string(torn.sector_size_bytes));
      text.append(" fill=").append(TornFillName(torn.fill));
      text.append(" seed=").append(std::to_string(torn.garbage_seed));
      text.append(" sectors=");
      for (SectorOutcome outcome : torn.sectors) text.push_back(SectorOutcomeLetter(outcome));
    }
  }
  return text;
}

absl::StatusOr<CrashChoice> CrashChoice::FromText(std::string_view text) {
  if (text.size() > kMaxChoiceTextBytes) return TextError("crash choice text too long", "");
  const std::vector<std::string_view> groups = SplitFields(text, ';');
  if (groups.empty()) return TextError("empty crash choice", text);
  CrashChoice choice;
  const std::string_view dirs_field = TrimSpaces(groups[0]);
  if (dirs_field.substr(0, 5) != "dirs=" || dirs_field.size() == 5) {
    return TextError("crash choice must start with dirs=", dirs_field);
  }
  const std::string_view dirs = dirs_field.substr(5);
  if (dirs != "-") {
    for (char digit : dirs) {
      if (digit != '0' && digit != '1') return TextError("bad dirs= digit (want 0 or 1)", dirs);
      choice.kept_dir_ops.push_back(digit == '1');
    }
  }
  for (size_t i = 1; i < groups.size(); ++i) {
    absl::StatusOr<InodeCrashChoice> inode = ParseInodeGroup(TrimSpaces(groups[i]));
    if (!inode.ok()) return inode.status();
    if (!choice.inodes.empty() && inode->inode_id <= choice.inodes.back().inode_id) {
      return TextError("inode groups must be in increasing id order", groups[i]);
    }
    choice.inodes.push_back(*std::move(inode));
  }
  return choice;
}

}  // namespace kiln::faultfs
