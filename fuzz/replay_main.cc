// Replays fuzz inputs without libFuzzer: runs the linked target's
// LLVMFuzzerTestOneInput once per file named on the command line, or per
// file in a named directory (sorted, not recursive). This is how `bazel test`
// checks every committed corpus and crash file in the default build.
//
//   replay [--allow_empty] PATH...
//
// Exits 0 when every input ran (a target aborts on a finding, which fails
// the run with its message); 2 on usage errors, unreadable paths, or no
// input at all unless --allow_empty.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fuzz/fuzz_target.h"

namespace {

// Corpus files are small; a larger file is a mistake in the corpus.
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{16} << 20;
constexpr size_t kMaxInputs = 100'000;

bool ReadWhole(const std::filesystem::path& path, std::string& out) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size > kMaxInputBytes) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return static_cast<bool>(in) || in.eof();
}

// Appends path (a file) or the regular files directly in it (a directory).
bool Collect(const std::filesystem::path& path, std::vector<std::filesystem::path>& inputs) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    if (error) return false;
    std::sort(files.begin(), files.end());
    inputs.insert(inputs.end(), files.begin(), files.end());
    return true;
  }
  if (!std::filesystem::is_regular_file(path, error)) return false;
  inputs.push_back(path);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool allow_empty = false;
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--allow_empty") {
      allow_empty = true;
      continue;
    }
    if (arg.starts_with("-")) {
      // libFuzzer flags (e.g. -runs=1) are accepted and ignored, so one
      // command line works for both builds.
      continue;
    }
    if (!Collect(argv[i], inputs)) {
      std::fprintf(stderr, "replay: cannot read %s\n", argv[i]);
      return 2;
    }
    if (inputs.size() > kMaxInputs) {
      std::fprintf(stderr, "replay: more than %zu inputs\n", kMaxInputs);
      return 2;
    }
  }
  if (inputs.empty() && !allow_empty) {
    std::fprintf(stderr, "usage: %s [--allow_empty] FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  std::string bytes;
  for (const std::filesystem::path& path : inputs) {
    if (!ReadWhole(path, bytes)) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replay: %zu inputs ran\n", inputs.size());
  return 0;
}
