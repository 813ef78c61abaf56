#!/usr/bin/env bash
# The dst command line: exit codes, the replay line format, determinism of replay.
set -euo pipefail
dst="$TEST_SRCDIR/$TEST_WORKSPACE/tools/dst"

expect_exit() {
  local want=$1; shift
  set +e; "$@" >/tmp/dst_out.$$ 2>&1; local got=$?; set -e
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: '$*' exited $got, want $want"; cat /tmp/dst_out.$$; exit 1
  fi
}

expect_exit 2 "$dst"
expect_exit 2 "$dst" bogus
expect_exit 2 "$dst" run
expect_exit 2 "$dst" run --seeds=abc
expect_exit 2 "$dst" run --seeds=5 --nope=1
expect_exit 2 "$dst" run --seeds=5 --workload=missing
expect_exit 2 "$dst" run --seeds=5 --stop_after_failures=x
expect_exit 2 "$dst" replay
expect_exit 0 "$dst" list

out1=$("$dst" replay --seed=11)
out2=$("$dst" replay --seed=11)
last=$(echo "$out1" | tail -n 1)
echo "$last" | grep -Eq '^seed=11 trace_hash=[0-9a-f]{16} result=pass$' || { echo "bad replay line: $last"; exit 1; }
[ "$out1" = "$out2" ] || { echo "replay of one seed is not deterministic"; exit 1; }
other=$("$dst" replay --seed=12 | tail -n 1)
[ "${last#*trace_hash=}" != "${other#*trace_hash=}" ] || { echo "seeds 11 and 12 share a hash"; exit 1; }

steps=$("$dst" replay --seed=11 --trace | grep -c 'hash=' || true)
[ "$steps" -gt 100 ] || { echo "--trace printed $steps steps"; exit 1; }
"$dst" run --seeds=20 --jobs=2 >/tmp/dst_run.$$ 2>&1 || { cat /tmp/dst_run.$$; exit 1; }
grep -q 'dst: 20 seeds, 0 failed' /tmp/dst_run.$$ || { cat /tmp/dst_run.$$; exit 1; }
"$dst" check-determinism --seeds=10 --jobs=2 >/dev/null 2>&1 || { echo "check-determinism failed"; exit 1; }
# The planted bug (acknowledging before syncing) must be caught, with a replay command.
set +e; "$dst" run --workload=selftest-unsafe --seeds=40 --jobs=2 >/tmp/dst_unsafe.$$ 2>&1; got=$?; set -e
[ "$got" -eq 1 ] || { echo "selftest-unsafe exited $got, want 1"; cat /tmp/dst_unsafe.$$; exit 1; }
grep -q 'lost acknowledged records' /tmp/dst_unsafe.$$ || { cat /tmp/dst_unsafe.$$; exit 1; }
grep -q 'replay: ./bazelw run //tools:dst -- replay --workload=selftest-unsafe --seed=' /tmp/dst_unsafe.$$ || { cat /tmp/dst_unsafe.$$; exit 1; }
# --stop_after_failures=1 ends the campaign at the first failure and says when it came.
set +e; "$dst" run --workload=selftest-unsafe --seeds=100000 --jobs=2 --stop_after_failures=1 >/tmp/dst_stop.$$ 2>&1; got=$?; set -e
[ "$got" -eq 1 ] || { echo "stopped campaign exited $got, want 1"; cat /tmp/dst_stop.$$; exit 1; }
grep -q '(stopped by --stop_after_failures=1)' /tmp/dst_stop.$$ || { cat /tmp/dst_stop.$$; exit 1; }
grep -Eq '^  first failure: seed=[0-9]+ after seeds=[0-9]+ wall=[0-9.]+s$' /tmp/dst_stop.$$ || { cat /tmp/dst_stop.$$; exit 1; }
stopped_seeds=$(sed -n 's/^dst: \([0-9]*\) seeds, [0-9]* failed$/\1/p' /tmp/dst_stop.$$)
[ -n "$stopped_seeds" ] && [ "$stopped_seeds" -lt 100000 ] || { echo "did not stop: $stopped_seeds seeds"; cat /tmp/dst_stop.$$; exit 1; }
# A normal build plants no bug, and says nothing about one.
if grep -q 'PLANTED BUG' /tmp/dst_stop.$$; then echo "a normal build claims a planted bug"; exit 1; fi
# The engine workload: the real engine against its model, crashes and faults.
"$dst" run --workload=engine --seeds=20 --jobs=2 >/tmp/dst_engine.$$ 2>&1 || { cat /tmp/dst_engine.$$; exit 1; }
grep -q 'dst: 20 seeds, 0 failed' /tmp/dst_engine.$$ || { cat /tmp/dst_engine.$$; exit 1; }
engine1=$("$dst" replay --workload=engine --seed=3 | tail -n 1)
engine2=$("$dst" replay --workload=engine --seed=3 | tail -n 1)
echo "$engine1" | grep -Eq '^seed=3 trace_hash=[0-9a-f]{16} result=pass$' || { echo "bad engine replay line: $engine1"; exit 1; }
[ "$engine1" = "$engine2" ] || { echo "engine replay is not deterministic: $engine1 vs $engine2"; exit 1; }
rm -f /tmp/dst_out.$$ /tmp/dst_run.$$ /tmp/dst_unsafe.$$ /tmp/dst_engine.$$ /tmp/dst_stop.$$
echo "dst CLI: ok"
