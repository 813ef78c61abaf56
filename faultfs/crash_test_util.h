// Test helpers for faultfs's crash tests: render a whole MemFileSystem as one
// readable line, and collect the set of states a policy or the enumerator
// produces. Header-only; tests only.
#ifndef KILN_FAULTFS_CRASH_TEST_UTIL_H_
#define KILN_FAULTFS_CRASH_TEST_UTIL_H_

#include <cstdint>
#include <set>
#include <string>

#include "faultfs/crash_enumerator.h"
#include "faultfs/mem_file_system.h"
#include "gtest/gtest.h"

namespace kiln::faultfs::testing {

inline std::string ReadAll(MemFileSystem& fs, std::string_view path) {
  absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile(path, OpenMode::kRead);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return "<error>";
  std::string bytes(1 << 16, '\0');
  absl::StatusOr<size_t> count = (*file)->Read(0, std::span<char>(bytes));
  EXPECT_TRUE(count.ok()) << count.status();
  bytes.resize(count.ok() ? *count : 0);
  return bytes;
}

// Zero bytes print as '_', other unprintable bytes as '?'.
inline std::string Printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes) out.push_back(c == '\0' ? '_' : (c >= ' ' && c <= '~') ? c : '?');
  return out;
}

inline void RenderInto(MemFileSystem& fs, const std::string& dir, std::string& out) {
  absl::StatusOr<std::vector<std::string>> names = fs.ListDir(dir.empty() ? "/" : dir);
  ASSERT_TRUE(names.ok()) << names.status();
  for (const std::string& name : *names) {
    const std::string path = dir + "/" + name;
    if (fs.ListDir(path).ok()) {
      out.append(out.empty() ? "" : " ").append(path).append("/");
      RenderInto(fs, path, out);
    } else {
      out.append(out.empty() ? "" : " ")
          .append(path)
          .append("=")
          .append(Printable(ReadAll(fs, path)));
    }
  }
}

// "/d/ /d/f=AB__C /g=" : every directory (trailing '/') and file with bytes.
inline std::string Render(MemFileSystem& fs) {
  std::string out;
  RenderInto(fs, "", out);
  return out;
}

// The states a policy produces over `seeds` seeds, rendered.
inline std::set<std::string> SampledStates(const MemFileSystem& fs, const CrashPolicy& policy,
                                           uint64_t seeds) {
  std::set<std::string> states;
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    std::unique_ptr<MemFileSystem> copy = fs.Clone();
    Random random(seed);
    copy->Crash(policy, random);
    states.insert(Render(*copy));
  }
  return states;
}

// The states the enumerator lists, rendered; each also checked against the
// hash the enumerator claims for it.
inline std::set<std::string> EnumeratedStates(const MemFileSystem& fs,
                                              const EnumerateOptions& options) {
  const CrashEnumeration enumeration = EnumerateCrashStates(fs, options);
  std::set<std::string> states;
  for (size_t i = 0; i < enumeration.states.size(); ++i) {
    std::unique_ptr<MemFileSystem> copy = fs.Clone();
    EXPECT_TRUE(copy->ApplyCrash(enumeration.states[i]).ok());
    EXPECT_EQ(copy->ContentHash(), enumeration.state_hashes[i]);
    states.insert(Render(*copy));
  }
  EXPECT_EQ(states.size(), enumeration.states.size()) << "enumerated states must be distinct";
  return states;
}

inline void WriteAt(MemFileSystem& fs, std::string_view path, uint64_t offset,
                    std::string_view bytes, bool sync) {
  absl::StatusOr<std::unique_ptr<File>> file = fs.OpenFile(path, OpenMode::kCreate);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write(offset, bytes).ok());
  if (sync) {
    ASSERT_TRUE((*file)->Sync().ok());
  }
}

}  // namespace kiln::faultfs::testing

#endif  // KILN_FAULTFS_CRASH_TEST_UTIL_H_
