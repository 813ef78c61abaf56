// What the LevelDB and RocksDB adapters share: both libraries spell Slice,
// Status and Iterator alike, in their own namespaces, so one set of
// conversions and one iterator wrapper serve both.
#ifndef KILN_TOOLS_KVBENCH_FOREIGN_ENGINE_H_
#define KILN_TOOLS_KVBENCH_FOREIGN_ENGINE_H_

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tools/kvbench/engine.h"

namespace kiln::kvbench {

template <typename Slice>
Slice ToForeignSlice(std::string_view bytes) {
  return Slice(bytes.data(), bytes.size());
}

template <typename Slice>
std::string_view FromForeignSlice(const Slice& slice) {
  return {slice.data(), slice.size()};
}

template <typename Status>
absl::Status FromForeignStatus(const Status& status) {
  if (status.ok()) return absl::OkStatus();
  if (status.IsNotFound()) return absl::NotFoundError(status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(status.ToString());
  return absl::InternalError(status.ToString());
}

// Tables per level as "tables_l<N>" (Kiln's Stats names), from the
// library's "<prefix>.num-files-at-level<N>" property; db is a leveldb::DB or
// rocksdb::DB, levels the library's level count.
template <typename Db>
std::map<std::string, double> ForeignTablesPerLevel(Db& db, std::string_view prefix, int levels) {
  std::map<std::string, double> out;
  for (int level = 0; level < levels; ++level) {
    std::string value;
    const std::string property =
        std::string(prefix) + ".num-files-at-level" + std::to_string(level);
    if (!db.GetProperty(property, &value)) continue;
    out["tables_l" + std::to_string(level)] = std::strtod(value.c_str(), nullptr);
  }
  return out;
}

// Owns inner. Iterator is leveldb::Iterator or rocksdb::Iterator, Slice its
// library's Slice.
template <typename Iterator, typename Slice>
class ForeignIterator final : public EngineIterator {
 public:
  explicit ForeignIterator(Iterator* inner) : inner_(inner) {}
  void SeekToFirst() override { inner_->SeekToFirst(); }
  void Seek(std::string_view target) override { inner_->Seek(ToForeignSlice<Slice>(target)); }
  bool Valid() const override { return inner_->Valid(); }
  void Next() override { inner_->Next(); }
  std::string_view key() const override { return FromForeignSlice(inner_->key()); }
  std::string_view value() const override { return FromForeignSlice(inner_->value()); }
  absl::Status status() const override { return FromForeignStatus(inner_->status()); }

 private:
  std::unique_ptr<Iterator> inner_;
};

}  // namespace kiln::kvbench

#endif  // KILN_TOOLS_KVBENCH_FOREIGN_ENGINE_H_
