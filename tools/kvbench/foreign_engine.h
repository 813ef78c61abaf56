// What the LevelDB and RocksDB adapters share: both libraries spell Slice,
// Status and Iterator alike, in their own namespaces, so one set of
// conversions and one iterator wrapper serve both.
#ifndef KILN_TOOLS_KVBENCH_FOREIGN_ENGINE_H_
#define KILN_TOOLS_KVBENCH_FOREIGN_ENGINE_H_

#include <memory>
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
