#include "kiln/env.h"

namespace kiln {

Random Env::NewRandom(std::string_view stream) const {
  return Random(MixSeed(random_seed, StableHash64(stream)));
}

}  // namespace kiln
