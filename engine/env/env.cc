#include "kiln/env.h"

#include <span>
#include <string>
#include <utility>

#include "util/assert.h"
#include "util/status_macros.h"

namespace kiln {
namespace {

class OwnedImage final : public MappedFile {
 public:
  explicit OwnedImage(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view bytes() const override { return bytes_; }

 private:
  const std::string bytes_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const MappedFile>> ReadFileImage(File& file, uint64_t size_bytes) {
  if (size_bytes > (uint64_t{1} << 40)) {
    return absl::InvalidArgumentError("ReadFileImage: " + std::to_string(size_bytes) +
                                      " bytes is too large an image");
  }
  std::string bytes(static_cast<size_t>(size_bytes), '\0');
  size_t filled = 0;
  // Each pass reads at least one byte or ends the loop: at most size passes.
  while (filled < bytes.size()) {
    KILN_ASSIGN_OR_RETURN(const size_t n,
                          file.Read(filled, std::span<char>(bytes.data() + filled,
                                                            bytes.size() - filled)));
    KILN_ASSERT(n <= bytes.size() - filled);
    if (n == 0) break;
    filled += n;
  }
  if (filled != bytes.size()) {
    return absl::FailedPreconditionError("ReadFileImage: the file ended after " +
                                         std::to_string(filled) + " of " +
                                         std::to_string(bytes.size()) + " bytes");
  }
  return std::make_shared<const OwnedImage>(std::move(bytes));
}

Random Env::NewRandom(std::string_view stream) const {
  return Random(MixSeed(random_seed, StableHash64(stream)));
}

}  // namespace kiln
