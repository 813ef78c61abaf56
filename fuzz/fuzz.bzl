"""kiln_fuzz_target: one libFuzzer target, its replay binary, and its corpus test.

kiln_fuzz_target(name = "table", srcs = ["table_fuzzer.cc"], deps = [...]) makes

  NAME              cc_binary. Under --config=fuzz (--define=kiln_fuzz=1) it links
                    libFuzzer's main (-fsanitize=fuzzer); otherwise the replay main
                    (replay_main.cc), which runs the target once per file or
                    directory given.
  NAME_corpus_test  cc_test, in every build: replays corpus/NAME/* and
                    crashes/NAME/* (every crash reproducer ever committed).

The target's sources define LLVMFuzzerTestOneInput (fuzz_target.h).
"""

def kiln_fuzz_target(name, srcs, deps = []):
    corpus = native.glob(["corpus/%s/*" % name])
    crashes = native.glob(["crashes/%s/*" % name])

    native.cc_library(
        name = name + "_lib",
        srcs = srcs,
        deps = deps + [":fuzz_target"],
        alwayslink = True,
    )

    native.cc_binary(
        name = name,
        deps = [":" + name + "_lib"] + select({
            ":fuzzing": [],
            "//conditions:default": [":replay_main"],
        }),
        linkopts = select({
            ":fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )

    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        deps = [
            ":" + name + "_lib",
            ":replay_main",
        ],
        data = corpus + crashes,
        # No corpus at all fails the test (the replay main wants inputs).
        args = (["fuzz/corpus/" + name] if corpus else []) +
               (["fuzz/crashes/" + name] if crashes else []),
    )
