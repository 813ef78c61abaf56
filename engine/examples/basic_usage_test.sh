#!/bin/sh
# Runs the basic_usage example in a fresh directory; it exits non-zero on any surprise.
set -eu
exec engine/basic_usage "${TEST_TMPDIR}/basic_usage_db"
