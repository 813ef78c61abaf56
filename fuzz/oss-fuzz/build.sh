#!/bin/bash -eu
# Builds every Kiln fuzz target by OSS-Fuzz conventions, without Bazel (the
# OSS-Fuzz and ClusterFuzzLite base images have no Bazel): the needed
# sources are compiled directly with $CXX $CXXFLAGS into one archive, and
# each target is linked with $LIB_FUZZING_ENGINE into $OUT/NAME, with
#   $OUT/NAME_seed_corpus.zip   fuzz/corpus/NAME and fuzz/crashes/NAME
#   $OUT/NAME.dict              fuzz/dicts/NAME.dict (if any)
#   $OUT/NAME.options           libFuzzer flags (entropic off for the heavy targets)
#
# Environment: CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE OUT (OSS-Fuzz's), and
#   KILN_SRC  the checkout (default: $SRC/kiln, else this script's repository)
#   WORK      scratch space (OSS-Fuzz sets it; default: a temporary directory)
#   JOBS      parallel compiles (default: nproc)
# Dependencies: if $SRC/abseil-cpp exists (the Dockerfile clones 20220623.1)
# it is built here with the same compiler and flags; otherwise the system's
# Abseil is used (Debian bookworm's libabsl-dev, as `./bazelw` uses). xxHash
# 0.8 (header-only; $SRC/xxHash if present), lz4 and Boost.Context come from
# the system. fuzz/oss-fuzz/check_build.sh runs this script locally.

KILN_SRC=${KILN_SRC:-${SRC:-}/kiln}
if [ ! -f "$KILN_SRC/fuzz/fuzz_target.h" ]; then
  KILN_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi
WORK=${WORK:-$(mktemp -d)}
JOBS=${JOBS:-$(nproc)}
cd "$KILN_SRC"

TARGETS=(wal_record write_batch block table filter version_edit manifest current open_image operations)
# Targets whose inputs run the whole engine: libFuzzer's entropic schedule
# spends most of its time on their ~100k coverage features (fuzz/README.md).
HEAVY_TARGETS=(version_edit manifest open_image operations)

include_flags=(-I. -Iengine -Iengine/include)
dep_libs=()
if [ -d "${SRC:-/nonexistent}/abseil-cpp" ]; then
  absl_prefix="$WORK/absl-install"
  if [ ! -f "$absl_prefix/.built" ]; then
    # Kiln is written against absl::string_view being its own type, as in
    # Debian's build of this Abseil release.
    sed -i 's/^#define ABSL_OPTION_USE_STD_STRING_VIEW 2$/#define ABSL_OPTION_USE_STD_STRING_VIEW 0/' \
      "$SRC/abseil-cpp/absl/base/options.h"
    cmake -S "$SRC/abseil-cpp" -B "$WORK/absl-build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_STANDARD=20 -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF \
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$absl_prefix" \
      -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
      -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS"
    cmake --build "$WORK/absl-build" -j "$JOBS" --target install
    touch "$absl_prefix/.built"
  fi
  include_flags+=(-I"$absl_prefix/include")
  # Every static Abseil library, grouped so link order does not matter.
  dep_libs+=(-Wl,--start-group "$absl_prefix"/lib*/libabsl_*.a -Wl,--end-group)
else
  dep_libs+=(-labsl_statusor -labsl_status -labsl_cord -labsl_cordz_info -labsl_cord_internal
             -labsl_cordz_functions -labsl_cordz_handle -labsl_str_format_internal
             -labsl_strings -labsl_strings_internal -labsl_hash -labsl_city
             -labsl_low_level_hash -labsl_raw_hash_set -labsl_synchronization -labsl_time
             -labsl_time_zone -labsl_int128 -labsl_throw_delegate -labsl_raw_logging_internal
             -labsl_base -labsl_spinlock_wait)
fi
if [ -d "${SRC:-/nonexistent}/xxHash" ]; then include_flags+=(-I"$SRC/xxHash"); fi
dep_libs+=(-lboost_context -llz4 -lpthread)

defines=(-DKILN_PLANTED_BUG_NAME=none -DXXH_INLINE_ALL -DBOOST_ALL_NO_LIB)
if [[ "$CXXFLAGS" == *-fsanitize=address* ]]; then
  # Boost.Context announces fiber stack switches to ASan.
  defines+=(-DBOOST_USE_ASAN)
fi
kiln_cxxflags=($CXXFLAGS -std=c++20 "${include_flags[@]}" "${defines[@]}")

# The library: the engine, the simulator, faultfs, the scenario runner and
# the fuzz harness's shared code (what //fuzz's Bazel targets depend on).
mapfile -t sources < <(
  {
    find engine -name '*.cc' ! -name '*_test.cc' ! -path 'engine/examples/*' ! -path 'engine/testing/*'
    find sim faultfs -name '*.cc' ! -name '*_test.cc' ! -name '*_bench.cc'
    printf 'tools/dst/%s.cc\n' campaign determinism_check workload engine_model scan_check \
      scenario scenario_generator scenario_runner scenario_text shrink sim_report
    printf 'fuzz/%s.cc\n' fuzz_check fuzz_input string_file seal_checksums iterator_checks \
      db_image scenario_decoder
  } | sort)

objects="$WORK/kiln-objects"
mkdir -p "$objects"
export objects
printf '%s\n' "${sources[@]}" |
  xargs -P "$JOBS" -I{} sh -c '"$0" "$@" -c "{}" -o "$objects/$(echo "{}" | tr / _).o"' \
    "$CXX" "${kiln_cxxflags[@]}"
rm -f "$WORK/libkiln_fuzz.a"
ar rcs "$WORK/libkiln_fuzz.a" "$objects"/*.o

for target in "${TARGETS[@]}"; do
  # --whole-archive is not needed: each target's own object defines
  # LLVMFuzzerTestOneInput and pulls in what it uses.
  $CXX "${kiln_cxxflags[@]}" "fuzz/${target}_fuzzer.cc" -o "$OUT/$target" \
    $LIB_FUZZING_ENGINE "$WORK/libkiln_fuzz.a" "${dep_libs[@]}"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd fuzz && zip -q -j "$OUT/${target}_seed_corpus.zip" corpus/"$target"/* \
    $(ls -d crashes/"$target"/* 2>/dev/null || true))
  if [ -f "fuzz/dicts/$target.dict" ]; then cp "fuzz/dicts/$target.dict" "$OUT/$target.dict"; fi
  if [[ " ${HEAVY_TARGETS[*]} " == *" $target "* ]]; then
    printf '[libfuzzer]\nentropic = 0\n' > "$OUT/$target.options"
  fi
done
echo "kiln: built ${#TARGETS[@]} fuzz targets into $OUT"
