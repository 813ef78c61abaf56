// The entry point every fuzz target defines (libFuzzer's interface). Under
// --config=fuzz libFuzzer's main drives it; in every other build
// replay_main.cc runs it once per corpus or crash file (fuzz/README.md).
//
// A target returns 0 for every input it survives and aborts (FuzzFail) on
// anything the contract forbids; a crash, hang or sanitizer report is a
// finding.
#ifndef KILN_FUZZ_FUZZ_TARGET_H_
#define KILN_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // KILN_FUZZ_FUZZ_TARGET_H_
