#!/bin/bash -eu
# Runs build.sh on this machine the way OSS-Fuzz would (clang, ASan + UBSan,
# libFuzzer, system libraries), then runs every built target once over its
# seed corpus. Docker is not needed; this is how build.sh is checked here.
#
#   fuzz/oss-fuzz/check_build.sh [OUT_DIR]
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
export WORK=${WORK:-$(mktemp -d)}
export CC=${CC:-clang} CXX=${CXX:-clang++}
sanitize="-fsanitize=address,undefined -fsanitize-address-use-after-scope -fno-sanitize-recover=undefined"
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only $sanitize -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export KILN_SRC=$repo SRC=/nonexistent
"$repo/fuzz/oss-fuzz/build.sh"
for zip in "$OUT"/*_seed_corpus.zip; do
  target=$(basename "$zip" _seed_corpus.zip)
  seeds="$WORK/seeds/$target"
  mkdir -p "$seeds"
  unzip -q -o "$zip" -d "$seeds"
  "$OUT/$target" -runs=0 "$seeds" 2>&1 | grep -E 'INITED|ERROR' | sed "s/^/$target: /"
done
echo "check_build: OK ($OUT)"
