// Checksum sealing: rewrites the checksums in a file's bytes so they match
// the bytes they cover. Kiln checksums every header, record and block, so a
// byte-level mutation of a real file almost always dies at the first
// checksum; sealing first lets the fuzzer reach the parsers behind them with
// contents no writer produced (the "checksum held but the bytes are wrong"
// case every reader must still survive). Targets seal when a flag in the
// input says so and parse the raw bytes otherwise, so both paths are fuzzed.
//
// Sealing only reads structure it can find safely and is deterministic, so a
// sealed input replays identically under the replay main.
#ifndef KILN_FUZZ_SEAL_CHECKSUMS_H_
#define KILN_FUZZ_SEAL_CHECKSUMS_H_

#include <string>

namespace kiln::fuzz {

// A WAL-framed log (a WAL or a manifest; engine/docs/wal_format.md): the file
// header's checksum, then record by record from offset 32 each payload's
// checksum and each header's, following the payload lengths until a record
// no longer fits (whose header is still sealed).
void SealLogChecksums(std::string& log);

// A sorted table (engine/docs/table_format.md): the footer's checksum, and
// the trailer checksum of every block reachable from it (metaindex, index,
// the meta blocks the metaindex names, the data blocks the index names),
// children before parents. Bounded by kMaxSealedBlocks.
void SealTableChecksums(std::string& table);

inline constexpr size_t kMaxSealedBlocks = 4096;

}  // namespace kiln::fuzz

#endif  // KILN_FUZZ_SEAL_CHECKSUMS_H_
