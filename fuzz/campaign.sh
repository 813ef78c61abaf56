#!/usr/bin/env bash
# campaign: builds the fuzz targets (--config=fuzz, in their own output base)
# and runs each for a fixed time on one core, one after another, then prints
# a markdown table: target | seconds | executions | exec/s | coverage |
# corpus entries | findings.
#
#   fuzz/campaign.sh [--seconds=S] [--work_dir=DIR] [TARGET...]
#
# Each target fuzzes a working corpus in WORK_DIR/NAME/corpus, seeded from
# fuzz/corpus/NAME and fuzz/crashes/NAME (the committed files are never
# touched), with fuzz/dicts/NAME.dict when there is one. Findings (crash-*,
# leak-*, timeout-*, oom-*) go to WORK_DIR/NAME/; commit each under
# fuzz/crashes/NAME/ once it is fixed (fuzz/README.md). The engine-wide
# targets run with -entropic=0, as fuzz/oss-fuzz/build.sh configures them.
#
# Exit: 0 no target found anything, 1 some target did, 2 usage or build error.
set -uo pipefail

usage() {
  [ -n "${1:-}" ] && echo "campaign: $1" >&2
  sed -n 's/^#   //p' "$0" >&2
  exit 2
}

seconds=600
work_dir=/tmp/kiln_fuzz_campaign
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#*=} ;;
    --work_dir=*) work_dir=${arg#*=} ;;
    --help|-h) usage ;;
    --*) usage "unknown flag $arg" ;;
    *) targets+=("$arg") ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage "--seconds wants a whole number >= 1, got '$seconds'"

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
all_targets=(wal_record write_batch block table filter version_edit manifest current open_image
             operations)
heavy_targets=" version_edit manifest open_image operations "
if [ ${#targets[@]} -eq 0 ]; then targets=("${all_targets[@]}"); fi
for target in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $target "* ]] || usage "unknown target '$target' (known: ${all_targets[*]})"
done
case "$work_dir" in /*) ;; *) work_dir="$PWD/$work_dir" ;; esac

output_base=/tmp/kiln_fuzz_base
fuzz_bazel() { ./bazelw --output_base="$output_base" "$@" --config=fuzz --symlink_prefix=/; }
labels=()
for target in "${targets[@]}"; do labels+=("//fuzz:$target"); done
echo "campaign: building ${targets[*]}" >&2
if ! fuzz_bazel build "${labels[@]}" >&2; then
  echo "campaign: the fuzz build failed" >&2
  exit 2
fi
bin_dir=$(fuzz_bazel info bazel-bin 2>/dev/null)

table="$work_dir/campaign.md"
mkdir -p "$work_dir" || exit 2
{
  echo "| target | seconds | executions | exec/s | coverage (edges) | corpus entries | findings |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} >"$table"
found=0
for target in "${targets[@]}"; do
  dir="$work_dir/$target"
  mkdir -p "$dir/corpus"
  cp -n fuzz/corpus/"$target"/* "$dir/corpus/" 2>/dev/null
  cp -n fuzz/crashes/"$target"/* "$dir/corpus/" 2>/dev/null
  flags=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$dir/")
  [ -f "fuzz/dicts/$target.dict" ] && flags+=(-dict="fuzz/dicts/$target.dict")
  [[ "$heavy_targets" == *" $target "* ]] && flags+=(-entropic=0)
  echo "campaign: $target: fuzzing for ${seconds}s" >&2
  log="$dir/fuzz.log"
  "$bin_dir/fuzz/$target" "${flags[@]}" "$dir/corpus" >"$log" 2>&1
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  exec_per_sec=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  entries=$(find "$dir/corpus" -type f | wc -l)
  findings=$(cd "$dir" && ls -1 crash-* leak-* timeout-* oom-* slow-unit-* 2>/dev/null | tr '\n' ' ')
  if [ -n "$findings" ]; then found=1; fi
  echo "| $target | $seconds | ${executions:-?} | ${exec_per_sec:-?} | ${coverage:-?} | $entries | ${findings:-none} |" >>"$table"
done

echo
echo "Fuzz campaign: ${seconds}s per target, one core each, in turn ($(nproc) cores)."
echo
cat "$table"
exit "$found"
