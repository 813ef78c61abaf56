#include "tools/kvbench/engine.h"

namespace kiln::kvbench {

const std::vector<std::string>& EngineNames() {
  static const std::vector<std::string> names = {"kiln", "leveldb", "rocksdb"};
  return names;
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(std::string_view name,
                                                   const EngineSettings& settings,
                                                   const std::string& dir) {
  if (name == "kiln") return OpenKiln(settings, dir);
  if (name == "leveldb") return OpenLevelDb(settings, dir);
  if (name == "rocksdb") return OpenRocksDb(settings, dir);
  return absl::InvalidArgumentError("unknown engine '" + std::string(name) +
                                    "' (kiln, leveldb, rocksdb)");
}

std::vector<std::string> DescribeSettings(const EngineSettings& settings) {
  return {DescribeKiln(settings), DescribeLevelDb(settings), DescribeRocksDb(settings)};
}

}  // namespace kiln::kvbench
