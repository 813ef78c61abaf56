#include "tools/lint/determinism_lint.h"

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/lint/call_form.h"
#include "tools/lint/source_tokens.h"

namespace kiln::lint {
namespace {

// Excerpts longer than this are cut, so one minified line cannot flood a report.
constexpr size_t kMaxExcerptBytes = 160;

// A space-separated list of names, so that rule tables stay constexpr.
using WordList = std::string_view;

bool InWordList(WordList words, std::string_view name) {
  size_t begin = 0;
  // Each pass consumes one word, so words.size() bounds the loop.
  while (begin < words.size()) {
    const size_t end = std::min(words.find(' ', begin), words.size());
    if (words.substr(begin, end - begin) == name) return true;
    begin = end + 1;
  }
  return false;
}

struct Rule {
  std::string_view rule;
  WordList names;
};

// Identifiers distinctive enough to flag wherever they appear, with or
// without std:: (so `using namespace std;` does not hide them).
constexpr Rule kBareRules[] = {
    {"std::thread", "jthread"},
    {"std::this_thread", "this_thread"},
    {"std::mutex",
     "recursive_mutex timed_mutex recursive_timed_mutex shared_mutex shared_timed_mutex "
     "lock_guard unique_lock scoped_lock shared_lock"},
    {"std::condition_variable", "condition_variable condition_variable_any"},
    {"std::random_device", "random_device"},
    {"<random> engine",
     "mt19937 mt19937_64 default_random_engine minstd_rand minstd_rand0 ranlux24 ranlux48 "
     "ranlux24_base ranlux48_base knuth_b"},
};

// Names too common to flag alone (a variable may well be called `mutex`),
// flagged only as std::name.
constexpr Rule kStdRules[] = {
    {"std::thread", "thread async"},
    {"std::mutex", "mutex"},
    {"std::filesystem", "filesystem"},
};

// Abseil's own locks and clocks bypass the Env just the same: absl::name.
constexpr WordList kAbslNames =
    "Mutex MutexLock ReaderMutexLock WriterMutexLock CondVar Notification BlockingCounter "
    "Barrier Now GetCurrentTimeNanos SleepFor";

// C and POSIX functions, flagged when called (see call_form.h): unqualified,
// `::name(` or `std::name(`.
constexpr Rule kCallRules[] = {
    {"time()", "time clock_gettime gettimeofday ftime timespec_get"},
    {"rand()",
     "rand srand rand_r random srandom drand48 erand48 lrand48 nrand48 mrand48 jrand48 srand48 "
     "arc4random getrandom getentropy"},
    {"sleep()", "sleep usleep nanosleep clock_nanosleep thrd_sleep"},
    {"getenv()", "getenv secure_getenv setenv unsetenv putenv"},
    {"fopen()", "fopen freopen fdopen tmpfile popen"},
    {"file system call",
     "open openat creat pread pwrite pread64 pwrite64 preadv pwritev fsync fdatasync syncfs "
     "ftruncate lseek fallocate posix_fallocate sync_file_range opendir fdopendir readdir "
     "scandir flock fcntl lockf mmap munmap msync unlink unlinkat renameat renameat2 mkdir "
     "mkdirat rmdir"},
    {"process call", "fork vfork clone system thrd_create"},
};

// Generic names (a method may be called read) flagged only as `::name(`.
constexpr WordList kGlobalOnlyCalls =
    "read write close stat fstat lstat rename remove truncate sync dup dup2";
// Of those, the ones whose std:: form is the file system call too
// (std::remove is also an algorithm, so it is not among them).
constexpr WordList kStdFileCalls = "rename";

// Headers whose only purpose is what the engine must get from its Env; and
// any <sys/...> header.
constexpr WordList kBannedHeaders =
    "thread mutex shared_mutex condition_variable future stop_token semaphore latch barrier "
    "random fstream filesystem ctime time.h pthread.h unistd.h fcntl.h dirent.h threads.h";

// The functions above that take no arguments; `time()`, `open()` and the like
// are accessors, not the C functions.
constexpr WordList kNoArgumentCalls =
    "rand random drand48 lrand48 mrand48 arc4random fork vfork tmpfile sync";

bool IsIdentifier(const Token& token) { return token.kind == Token::Kind::kIdentifier; }

// std::chrono's clocks, and `clock` as the usual alias for one.
bool IsClockName(std::string_view name) { return name == "clock" || name.ends_with("_clock"); }

// The rule a call to name matches, if any.
std::string_view CallRuleFor(std::string_view name, CallSite site) {
  if (site.form == CallForm::kNotACall) return {};
  if (!site.has_arguments && !InWordList(kNoArgumentCalls, name)) return {};
  for (const Rule& rule : kCallRules) {
    if (InWordList(rule.names, name)) return rule.rule;
  }
  if ((site.form == CallForm::kGlobal && InWordList(kGlobalOnlyCalls, name)) ||
      (site.form == CallForm::kStd && InWordList(kStdFileCalls, name))) {
    return "file system call";
  }
  return {};
}

// The rule tokens[i] matches, or empty.
std::string TokenRule(const std::vector<Token>& tokens, size_t i) {
  const Token& token = tokens[i];
  if (!IsIdentifier(token)) return {};
  const std::string_view name = token.text;
  const bool after_scope = i >= 2 && tokens[i - 1].text == "::";
  const std::string_view scope = after_scope ? tokens[i - 2].text : std::string_view();

  for (const Rule& rule : kBareRules) {
    if (InWordList(rule.names, name)) return std::string(rule.rule);
  }
  if (scope == "std") {
    for (const Rule& rule : kStdRules) {
      if (InWordList(rule.names, name)) return std::string(rule.rule);
    }
  }
  if (scope == "absl" && InWordList(kAbslNames, name)) return "absl::" + std::string(name);
  if (name == "now" && after_scope && IsClockName(scope)) return "clock::now";
  if (name.starts_with("pthread_")) return "pthread";
  if (i + 1 < tokens.size() && tokens[i + 1].text == "(") {
    return std::string(CallRuleFor(name, ClassifyCall(tokens, i)));
  }
  return {};
}

// The header a `#include <...>` line names, or empty.
std::string_view IncludedHeader(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] != '#') return {};
  i = line.find_first_not_of(" \t", i + 1);
  constexpr std::string_view kInclude = "include";
  if (i == std::string_view::npos || line.substr(i, kInclude.size()) != kInclude) return {};
  i = line.find_first_not_of(" \t", i + kInclude.size());
  if (i == std::string_view::npos || line[i] != '<') return {};
  const size_t close = line.find('>', i + 1);
  if (close == std::string_view::npos) return {};
  return line.substr(i + 1, close - i - 1);
}

bool IsBannedHeader(std::string_view header) {
  return InWordList(kBannedHeaders, header) || header.starts_with("sys/");
}

// (line, rule) pairs: each rule once per line, in line order.
using Matches = std::set<std::pair<int, std::string>>;

// Adds the banned `#include <...>` lines of code to matches, then blanks every
// include line: a header's name is not code (<condition_variable> is no use of it).
void MatchIncludes(std::string& code, Matches& matches) {
  size_t line_begin = 0;
  // Each pass consumes one line, so code.size() bounds the loop.
  for (int line = 1; line_begin <= code.size(); ++line) {
    const size_t line_end = std::min(code.find('\n', line_begin), code.size());
    const std::string_view header =
        IncludedHeader(std::string_view(code).substr(line_begin, line_end - line_begin));
    if (!header.empty()) {
      if (IsBannedHeader(header)) matches.emplace(line, "#include <" + std::string(header) + ">");
      std::fill(code.begin() + static_cast<ptrdiff_t>(line_begin),
                code.begin() + static_cast<ptrdiff_t>(line_end), ' ');
    }
    line_begin = line_end + 1;
  }
}

// The lines of text, without their newlines.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

std::string Excerpt(std::string_view line) {
  const size_t begin = line.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  const size_t end = line.find_last_not_of(" \t\r");
  std::string_view trimmed = line.substr(begin, end - begin + 1);
  if (trimmed.size() <= kMaxExcerptBytes) return std::string(trimmed);
  return std::string(trimmed.substr(0, kMaxExcerptBytes)) + "...";
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool IsLintExempt(std::string_view path) {
  if (BaseName(path).ends_with("_test.cc")) return true;
  // Test fixtures and example programs sit on top of the engine's API.
  for (std::string_view folder : {"engine/testing/", "engine/examples/"}) {
    const size_t at = path.find(folder);
    if (at != std::string_view::npos && (at == 0 || path[at - 1] == '/')) return true;
  }
  // engine/env/posix_*, at the start of path or after a '/', naming a file
  // in engine/env itself.
  constexpr std::string_view kRealEnvPrefix = "engine/env/posix_";
  for (size_t at = path.find(kRealEnvPrefix); at != std::string_view::npos;
       at = path.find(kRealEnvPrefix, at + 1)) {
    const bool starts_component = at == 0 || path[at - 1] == '/';
    if (starts_component && path.find('/', at + kRealEnvPrefix.size()) == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

std::vector<LintFinding> LintSource(std::string_view path, std::string_view text) {
  std::vector<LintFinding> findings;
  if (IsLintExempt(path)) return findings;

  std::string code = BlankCommentsAndLiterals(text);
  const std::vector<std::string_view> source_lines = SplitLines(text);

  Matches matches;
  MatchIncludes(code, matches);
  const std::vector<Token> tokens = Tokenize(code);
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string rule = TokenRule(tokens, i);
    if (!rule.empty()) matches.emplace(tokens[i].line, std::move(rule));
  }

  for (const auto& [line, rule] : matches) {
    findings.push_back(LintFinding{
        .path = std::string(path),
        .line = line,
        .rule = rule,
        .excerpt = Excerpt(source_lines[static_cast<size_t>(line) - 1]),
    });
  }
  return findings;
}

std::string FormatFinding(const LintFinding& finding) {
  return finding.path + ":" + std::to_string(finding.line) + ": " + finding.rule + ": " +
         finding.excerpt;
}

}  // namespace kiln::lint
