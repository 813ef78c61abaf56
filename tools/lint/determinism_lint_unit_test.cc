#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tools/lint/determinism_lint.h"

namespace kiln::lint {
namespace {

constexpr std::string_view kEnginePath = "engine/db/db_impl.cc";

std::vector<std::string> RulesIn(std::string_view text) {
  std::vector<std::string> rules;
  for (const LintFinding& finding : LintSource(kEnginePath, text)) rules.push_back(finding.rule);
  return rules;
}

struct BadSnippet {
  std::string_view text;
  std::string_view rule;
};

// One snippet per thing DESIGN.md forbids, and then some.
constexpr BadSnippet kBadSnippets[] = {
    {"std::thread worker(Run);", "std::thread"},
    {"std::jthread worker;", "std::thread"},
    {"auto done = std::async(Run);", "std::thread"},
    {"std::this_thread::yield();", "std::this_thread"},
    {"std::mutex mu;", "std::mutex"},
    {"std::shared_mutex mu;", "std::mutex"},
    {"std::lock_guard<Lock> guard(lock);", "std::mutex"},
    {"std::unique_lock<Lock> hold(lock);", "std::mutex"},
    {"std::condition_variable cv;", "std::condition_variable"},
    {"condition_variable_any cv;", "std::condition_variable"},
    {"auto t = std::chrono::steady_clock::now();", "clock::now"},
    {"auto t = system_clock::now();", "clock::now"},
    {"auto t = std::chrono::high_resolution_clock::now();", "clock::now"},
    {"time_t now = time(nullptr);", "time()"},
    {"return ::time(0);", "time()"},
    {"clock_gettime(CLOCK_MONOTONIC, &ts);", "time()"},
    {"gettimeofday(&tv, nullptr);", "time()"},
    {"int r = rand() % 6;", "rand()"},
    {"srand(42);", "rand()"},
    {"long r = std::rand();", "rand()"},
    {"std::random_device entropy;", "std::random_device"},
    {"std::mt19937_64 engine(seed);", "<random> engine"},
    {"int fd = ::open(path, O_RDONLY);", "file system call"},
    {"int fd = open(path, O_RDONLY);", "file system call"},
    {"n = pread(fd, buffer, size, offset);", "file system call"},
    {"Check(pwrite(fd, data, size, offset));", "file system call"},
    {"if (fsync(fd) != 0) return Fail();", "file system call"},
    {"fdatasync(fd);", "file system call"},
    {"ftruncate(fd, 0);", "file system call"},
    {"unlink(path);", "file system call"},
    {"::close(fd);", "file system call"},
    {"::read(fd, buffer, size);", "file system call"},
    {"std::rename(source, target);", "file system call"},
    {"FILE* f = fopen(path, mode);", "fopen()"},
    {"const char* home = getenv(name);", "getenv()"},
    {"const char* home = std::getenv(name);", "getenv()"},
    {"sleep(1);", "sleep()"},
    {"usleep(100);", "sleep()"},
    {"nanosleep(&duration, nullptr);", "sleep()"},
    {"pthread_create(&thread, nullptr, Run, nullptr);", "pthread"},
    {"pthread_mutex_t mu;", "pthread"},
    {"namespace fs = std::filesystem;", "std::filesystem"},
    {"absl::Mutex mu;", "absl::Mutex"},
    {"auto t = absl::Now();", "absl::Now"},
    {"absl::SleepFor(absl::Seconds(1));", "absl::SleepFor"},
    {"#include <thread>", "#include <thread>"},
    {"#include <mutex>", "#include <mutex>"},
    {"#include <condition_variable>", "#include <condition_variable>"},
    {"#include <random>", "#include <random>"},
    {"#include <fstream>", "#include <fstream>"},
    {"#  include <filesystem>  // why", "#include <filesystem>"},
    {"#include <unistd.h>", "#include <unistd.h>"},
    {"#include <sys/stat.h>", "#include <sys/stat.h>"},
    {"pid_t child = fork();", "process call"},
    // Calls in the places a declaration-shaped prefix could hide them.
    {"if (deadline > time(nullptr)) Wait();", "time()"},
    {"elapsed = scale * time(nullptr);", "time()"},
    {"#define KILN_NOW time(nullptr)", "time()"},
    {"buckets[rand()] += 1;", "rand()"},
    {"} else sleep(1);", "sleep()"},
    {"Use(seed, ::time(0));", "time()"},
};

TEST(DeterminismLintTest, EachRuleFiresOnItsSnippet) {
  for (const BadSnippet& snippet : kBadSnippets) {
    EXPECT_EQ(RulesIn(snippet.text), std::vector<std::string>{std::string(snippet.rule)})
        << snippet.text;
  }
}

TEST(DeterminismLintTest, FindingNamesPathLineRuleAndExcerpt) {
  const std::vector<LintFinding> findings =
      LintSource(kEnginePath, "int a;\n\n   std::mutex mu;  // guards a\n");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].path, kEnginePath);
  EXPECT_EQ(findings[0].line, 3);
  EXPECT_EQ(findings[0].rule, "std::mutex");
  EXPECT_EQ(findings[0].excerpt, "std::mutex mu;  // guards a");
  EXPECT_EQ(FormatFinding(findings[0]),
            "engine/db/db_impl.cc:3: std::mutex: std::mutex mu;  // guards a");
}

TEST(DeterminismLintTest, ReportsEveryLineOnceInOrder) {
  const std::vector<LintFinding> findings = LintSource(kEnginePath,
                                                       "std::mutex a; std::mutex b;\n"
                                                       "int x = rand();\n"
                                                       "std::\n"
                                                       "    thread t;\n");
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].line, 1);
  EXPECT_EQ(findings[1].line, 2);
  EXPECT_EQ(findings[1].rule, "rand()");
  EXPECT_EQ(findings[2].line, 4);  // where the name is
  EXPECT_EQ(findings[2].rule, "std::thread");
}

TEST(DeterminismLintTest, IgnoresCommentsAndLiterals) {
  constexpr std::string_view kClean[] = {
      "// std::thread t; time(nullptr); #include <thread>",
      "int a; /* std::mutex\n rand() \n fopen( */ int b;",
      "const char* s = \"std::thread time( rand( fopen( \\\" getenv(\";",
      "auto s = R\"x(std::mutex \"quoted\" time(0) )\" )x\";",
      "auto s = u8R\"(std::this_thread)\";",
      "char quote = '\"'; char slash = '\\''; int n = my_rand();",
      "#include \"engine/thread.h\"",
      "// a line comment \\\n continued: std::thread t;",
  };
  for (std::string_view text : kClean) EXPECT_TRUE(RulesIn(text).empty()) << text;
  // What follows a literal or comment is still code.
  EXPECT_EQ(RulesIn("f(\"a\"); /* x */ std::thread t;"), std::vector<std::string>{"std::thread"});
  EXPECT_EQ(RulesIn("int n = 1'000'000; std::mutex mu;"), std::vector<std::string>{"std::mutex"});
  EXPECT_EQ(RulesIn("auto s = R\"(text)\"; rand();"), std::vector<std::string>{"rand()"});
  // A literal is still an argument: a call whose only argument is a string
  // literal is a call with arguments (this once slipped through).
  EXPECT_EQ(RulesIn("const char* h = std::getenv(\"HOME\");"),
            std::vector<std::string>{"getenv()"});
  EXPECT_EQ(RulesIn("unlink(\"/db/LOCK\");"), std::vector<std::string>{"file system call"});
  EXPECT_EQ(RulesIn("system(u8\"ls\");"), std::vector<std::string>{"process call"});
  EXPECT_EQ(RulesIn("char c = getchar_like('x'); int n = sleep('\\0');"),
            std::vector<std::string>{"sleep()"});
}

TEST(DeterminismLintTest, IgnoresLookAlikes) {
  constexpr std::string_view kClean[] = {
      "reopen(file);",
      "my_time(1);",
      "uint64_t random_seed = 1;",
      "Random random(seed);",
      "env.random_seed = 2;",
      "file->Open(path);",
      "file.open(path);",
      "stream->time();",
      "uint64_t time() const;",
      "static Status open(std::string_view path);",
      "Foo::time(3);",
      "Status Sync();",
      "pread_bytes += fsync_count;",
      "clock_->MonotonicNs();",
      "Mutex* mutex = nullptr;",
      "kiln::Mutex* mu;",
      "MutexLock lock(*mutex);",
      "CondVar* cond_var;",
      "std::chrono::nanoseconds timeout(5);",
      "thread_count = 4;",
      "auto read = file.read(buffer);",
      "close(handle);",
      "std::remove(names.begin(), names.end(), x);",
      "#include <chrono>",
      "#include <string>",
      "#include <cstdio>",
      "uint64_t now = clock.now();",
      // Accessors and declarations that share a C function's name.
      "Clock& clock() { return clock_; }",
      "Random& random() { return random_; }",
      "uint64_t n = random().Next();",
      "uint64_t t = time();",
      "std::unique_ptr<File> open(std::string_view path);",
      "[[nodiscard]] static absl::StatusOr<std::unique_ptr<FileLock>> open(int fd);",
      "  File* fopen(const char* name) const;",
      "auto open(int fd) -> Status;",
      "template <typename T>\nT* open(T value) {",
  };
  for (std::string_view text : kClean) EXPECT_TRUE(RulesIn(text).empty()) << text;
}

TEST(DeterminismLintTest, AllowlistExemptsTheRealEnvAndTests) {
  EXPECT_TRUE(IsLintExempt("engine/env/posix_file.cc"));
  EXPECT_TRUE(IsLintExempt("engine/env/posix_env.h"));
  EXPECT_TRUE(IsLintExempt("/runfiles/kiln/engine/env/posix_thread_scheduler.cc"));
  EXPECT_TRUE(IsLintExempt("engine/db/db_test.cc"));
  EXPECT_FALSE(IsLintExempt("engine/env/env.cc"));
  EXPECT_FALSE(IsLintExempt("engine/db/posix_like.cc"));
  EXPECT_FALSE(IsLintExempt("myengine/env/posix_file.cc"));
  EXPECT_FALSE(IsLintExempt("engine/env/posix_dir/file.cc"));
  EXPECT_FALSE(IsLintExempt("engine/db/test_util.cc"));
  EXPECT_FALSE(IsLintExempt("engine/db/db_test.h"));
  // Test fixtures and example programs use the engine; they are not in it.
  EXPECT_TRUE(IsLintExempt("engine/testing/test_env.cc"));
  EXPECT_TRUE(IsLintExempt("/runfiles/kiln/engine/examples/basic_usage.cc"));
  EXPECT_FALSE(IsLintExempt("engine/db/testing_helpers.cc"));
  EXPECT_FALSE(IsLintExempt("myengine/testing/x.cc"));

  constexpr std::string_view kBad = "std::thread t;\n";
  EXPECT_TRUE(LintSource("engine/env/posix_file.cc", kBad).empty());
  EXPECT_TRUE(LintSource("engine/db/db_test.cc", kBad).empty());
  EXPECT_EQ(LintSource("engine/env/env.cc", kBad).size(), 1u);
}

}  // namespace
}  // namespace kiln::lint
