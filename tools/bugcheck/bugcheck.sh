#!/usr/bin/env bash
# bugcheck: measures the simulation's power against the planted bugs
# (engine/util/planted_bugs.h). For each bug it builds dst with the bug
# planted, runs the engine campaign until the first failure or the time
# budget, shrinks the first failing seed to a scenario, and prints a markdown
# table: bug | caught | seeds to first failure | seconds to first failure |
# shrunk scenario steps | committed scenario | first failure. "committed
# scenario" replays props/scenarios/planted_NAME.scn (the shrunk scenario of
# an earlier run, which every normal build must pass) on the bug build:
# "fails" means it still catches the bug.
#
#   tools/bugcheck/bugcheck.sh [--budget_minutes=M] [--jobs=J] [--seeds=N]
#       [--out_dir=DIR] [--shrink_minutes=M] [BUG...]
#   ./bazelw run //tools:bugcheck -- [same flags]
#
# Bug builds use their own output base (/tmp/kiln_bugcheck_base, -c opt) and
# create no bazel-* symlinks, so the workspace's normal build cache and
# symlinks are untouched. Logs, the shrunk scenarios (NAME.scn) and the table
# (bugcheck.md) go to --out_dir.
#
# Exit codes: 0 every bug checked was caught, 1 some bug was not caught (or
# its build failed), 2 usage error.
set -uo pipefail

usage() {
  [ -n "${1:-}" ] && echo "bugcheck: $1" >&2
  sed -n 's/^#   //p' "$0" | sed -n '1,3p' >&2
  exit 2
}

budget_minutes=2
jobs=$(nproc 2>/dev/null || echo 1)
seeds=1000000
out_dir=/tmp/kiln_bugcheck
shrink_minutes=10
bugs=()
for arg in "$@"; do
  case "$arg" in
    --budget_minutes=*) budget_minutes=${arg#*=} ;;
    --jobs=*) jobs=${arg#*=} ;;
    --seeds=*) seeds=${arg#*=} ;;
    --out_dir=*) out_dir=${arg#*=} ;;
    --shrink_minutes=*) shrink_minutes=${arg#*=} ;;
    --help|-h) usage ;;
    --*) usage "unknown flag $arg" ;;
    *) bugs+=("$arg") ;;
  esac
done
for number in "$budget_minutes" "$jobs" "$seeds" "$shrink_minutes"; do
  [[ "$number" =~ ^[1-9][0-9]*$ ]] || usage "flags want whole numbers >= 1, got '$number'"
done

# From the repository root, whether run directly or by `bazel run`.
if [ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]; then
  cd "$BUILD_WORKSPACE_DIRECTORY" || exit 2
else
  cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
fi
[ -x ./bazelw ] && [ -f engine/util/planted_bugs.h ] || usage "cannot find the Kiln repository root"
case "$out_dir" in /*) ;; *) out_dir="$PWD/$out_dir" ;; esac
mkdir -p "$out_dir" || exit 2

# The known bugs, in the header's order: lines like `    {"name",`.
mapfile -t known < <(sed -n 's/^ *{"\([a-z0-9_]*\)",.*/\1/p' engine/util/planted_bugs.h)
[ ${#known[@]} -gt 0 ] || usage "no planted bugs found in engine/util/planted_bugs.h"
if [ ${#bugs[@]} -eq 0 ]; then bugs=("${known[@]}"); fi
for bug in "${bugs[@]}"; do
  printf '%s\n' "${known[@]}" | grep -qx "$bug" || usage "unknown bug '$bug' (known: ${known[*]})"
done

output_base=/tmp/kiln_bugcheck_base
bazel_bug() {
  local bug=$1; shift
  ./bazelw --output_base="$output_base" "$@" -c opt --define=kiln_bug="$bug" --symlink_prefix=/
}

# A markdown cell: no pipes or newlines, at most 120 characters.
cell() { printf '%s' "$1" | tr '|\n' '/ ' | cut -c1-120; }

table="$out_dir/bugcheck.md"
{
  echo "| bug | caught | seeds to first failure | seconds to first failure | shrunk steps | committed scenario | first failure |"
  echo "|---|---|---:|---:|---:|---|---|"
} >"$table"
uncaught=0
for bug in "${bugs[@]}"; do
  echo "bugcheck: $bug: building" >&2
  caught=no; seeds_to=-; seconds_to=-; steps=-; failure=; committed=none
  if ! bazel_bug "$bug" build //tools:dst >"$out_dir/$bug.build.log" 2>&1; then
    caught="build failed"; failure="see $out_dir/$bug.build.log"
    uncaught=$((uncaught + 1))
    echo "| $bug | $caught | - | - | - | - | $(cell "$failure") |" >>"$table"
    continue
  fi
  bin_dir=$(bazel_bug "$bug" info bazel-bin 2>/dev/null)
  dst="$out_dir/dst.$bug"
  cp -f "$bin_dir/tools/dst" "$dst" || { echo "bugcheck: no dst binary in $bin_dir" >&2; exit 2; }

  known_scenario="props/scenarios/planted_$bug.scn"
  if [ -f "$known_scenario" ]; then
    if "$dst" scenario "$known_scenario" >"$out_dir/$bug.known.log" 2>&1; then
      committed="passes (stale)"
    else
      committed=fails
    fi
  fi

  echo "bugcheck: $bug: running up to $seeds seeds for $budget_minutes min on $jobs jobs" >&2
  run_log="$out_dir/$bug.run.log"
  "$dst" run --workload=engine --seeds="$seeds" --jobs="$jobs" --minutes="$budget_minutes" \
    --stop_after_failures=1 >"$run_log" 2>&1
  if ! grep -qx "PLANTED BUG ACTIVE: $bug" "$run_log"; then
    echo "bugcheck: $bug: the binary does not announce the bug; is it planted?" >&2
    exit 2
  fi
  # "  first failure: seed=S after seeds=N wall=X.Ys"
  first=$(grep -m1 '^  first failure: seed=' "$run_log" || true)
  if [ -n "$first" ]; then
    caught=yes
    seed=$(sed 's/.*seed=\([0-9]*\) .*/\1/' <<<"$first")
    seeds_to=$(sed 's/.*after seeds=\([0-9]*\) .*/\1/' <<<"$first")
    seconds_to=$(sed 's/.*wall=\([0-9.]*\)s.*/\1/' <<<"$first")
    failure=$(grep -m1 "^  FAIL seed=$seed: " "$run_log" | sed 's/^  FAIL seed=[0-9]*: //')
    echo "bugcheck: $bug: caught at seed $seed; shrinking" >&2
    scenario="$out_dir/$bug.scn"
    rm -f "$scenario"
    if timeout "${shrink_minutes}m" "$dst" shrink --workload=engine --seed="$seed" \
        --out="$scenario" >"$out_dir/$bug.shrink.log" 2>&1; then
      last=$(tail -n 1 "$out_dir/$bug.shrink.log")
      if [[ "$last" =~ ^shrunk\ seed=[0-9]+\ steps=([0-9]+)\ file= ]]; then
        steps=${BASH_REMATCH[1]}
      fi
    fi
  else
    uncaught=$((uncaught + 1))
    ran=$(sed -n 's/^dst: \([0-9]*\) seeds, [0-9]* failed$/\1/p' "$run_log")
    failure="no failure in ${ran:-?} seeds"
  fi
  rm -f "$dst"
  echo "| $bug | $caught | $seeds_to | $seconds_to | $steps | $committed | $(cell "$failure") |" >>"$table"
done

echo
echo "Planted bugs: engine campaign, up to $seeds seeds and $budget_minutes min each, $jobs jobs, -c opt."
echo
cat "$table"
[ "$uncaught" -eq 0 ]
