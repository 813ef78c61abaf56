// A tour of the public API on the real filesystem: open, write, read, scan,
// snapshot, reopen. Usage: basic_usage [directory] (default: $TEST_TMPDIR).
// Exits non-zero if anything behaves unexpectedly, so it doubles as a test.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "kiln/db.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "basic_usage: %s: %s\n", what, std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      argc > 1 ? argv[1] : std::string(tmp != nullptr ? tmp : "/tmp") + "/kiln_basic_usage";
  {
    auto db = kiln::Db::Open(kiln::Options{.create_if_missing = true}, path);
    if (!db.ok()) return Fail("open", db.status());
    if (auto s = (*db)->Put("apple", "red"); !s.ok()) return Fail("put", s.status());
    if (auto s = (*db)->Put("banana", "yellow"); !s.ok()) return Fail("put", s.status());
    std::unique_ptr<kiln::Snapshot> snapshot = (*db)->GetSnapshot();
    if (auto s = (*db)->Put("apple", "green"); !s.ok()) return Fail("put", s.status());

    auto value = (*db)->Get("apple");
    if (!value.ok()) return Fail("get", value.status());
    std::printf("apple is now %s\n", value->value_or("(missing)").c_str());
    auto old_value = (*db)->Get("apple", kiln::ReadOptions{.snapshot = snapshot.get()});
    if (!old_value.ok()) return Fail("get", old_value.status());
    std::printf("apple at the snapshot was %s\n", old_value->value_or("(missing)").c_str());
    if (*old_value != "red") return Fail("snapshot", absl::InternalError("wrong value"));

    std::unique_ptr<kiln::Iterator> it = (*db)->NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::printf("  %.*s = %.*s\n", static_cast<int>(it->key().size()), it->key().data(),
                  static_cast<int>(it->value().size()), it->value().data());
    }
    if (!it->status().ok()) return Fail("scan", it->status());
    it.reset();
    snapshot.reset();
    if (auto s = (*db)->Close(); !s.ok()) return Fail("close", s);
  }
  auto db = kiln::Db::Open(kiln::Options{}, path);
  if (!db.ok()) return Fail("reopen", db.status());
  auto value = (*db)->Get("apple");
  if (!value.ok()) return Fail("get after reopen", value.status());
  std::printf("after reopen apple is %s\n", value->value_or("(missing)").c_str());
  if (*value != "green") return Fail("reopen", absl::InternalError("lost a write"));
  return 0;
}
