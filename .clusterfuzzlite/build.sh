#!/bin/bash -eu
# ClusterFuzzLite runs $SRC/build.sh; the real script lives with the targets.
exec "$SRC/kiln/fuzz/oss-fuzz/build.sh"
