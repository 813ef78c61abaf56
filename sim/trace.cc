#include "sim/trace.h"

#include <cinttypes>

#include "kiln/random.h"
#include "util/assert.h"
#include "xxhash.h"

namespace kiln::sim {
namespace {

uint64_t Fold(uint64_t hash, EventKind kind, uint32_t fiber_id, uint64_t a, uint64_t b,
              std::string_view detail) {
  uint64_t folded = MixSeed(hash, (static_cast<uint64_t>(kind) << 32) | fiber_id);
  folded = MixSeed(folded, a);
  folded = MixSeed(folded, b);
  if (!detail.empty()) folded = XXH3_64bits_withSeed(detail.data(), detail.size(), folded);
  return folded;
}

bool SameEvent(const TraceStep& a, const TraceStep& b) {
  return a.kind == b.kind && a.fiber_id == b.fiber_id && a.a == b.a && a.b == b.b &&
         a.detail == b.detail;
}

std::string Number(uint64_t value) { return std::to_string(value); }

// The numbering of WaitKind in fiber_record.h.
std::string WaitKindName(uint64_t kind) {
  static constexpr std::string_view kNames[] = {"none", "mutex", "condvar", "sleep", "join"};
  constexpr uint64_t kCount = sizeof(kNames) / sizeof(kNames[0]);
  return kind < kCount ? std::string(kNames[kind]) : "kind" + Number(kind);
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kSpawn:
      return "spawn";
    case EventKind::kSchedule:
      return "schedule";
    case EventKind::kFinish:
      return "finish";
    case EventKind::kLock:
      return "lock";
    case EventKind::kUnlock:
      return "unlock";
    case EventKind::kBlock:
      return "block";
    case EventKind::kWake:
      return "wake";
    case EventKind::kWait:
      return "wait";
    case EventKind::kSignal:
      return "signal";
    case EventKind::kSleep:
      return "sleep";
    case EventKind::kTimerFire:
      return "timer";
    case EventKind::kTimeJump:
      return "time";
    case EventKind::kJoin:
      return "join";
    case EventKind::kBuggify:
      return "buggify";
    case EventKind::kCrash:
      return "crash";
    case EventKind::kIo:
      return "io";
    case EventKind::kFault:
      return "fault";
    case EventKind::kNote:
      return "note";
  }
  return "unknown";
}

void Trace::Record(EventKind kind, uint32_t fiber_id, uint64_t a, uint64_t b,
                   std::string_view detail) {
  hash_ = Fold(hash_, kind, fiber_id, a, b, detail);
  if (keep_steps_ && steps_.size() < kMaxKeptTraceSteps) {
    steps_.push_back(TraceStep{.index = events_,
                               .kind = kind,
                               .fiber_id = fiber_id,
                               .a = a,
                               .b = b,
                               .detail = std::string(detail),
                               .hash_after = hash_});
  }
  ++events_;
}

std::optional<Divergence> FirstDivergence(const Trace& a, const Trace& b) {
  KILN_ASSERT_MSG(a.keeps_steps() && b.keeps_steps(),
                  "FirstDivergence needs traces recorded with keep_steps (record_trace)");
  const std::vector<TraceStep>& left = a.steps();
  const std::vector<TraceStep>& right = b.steps();
  const size_t common = left.size() < right.size() ? left.size() : right.size();
  for (size_t i = 0; i < common; ++i) {
    if (!SameEvent(left[i], right[i])) {
      return Divergence{.index = i, .left = DescribeStep(left[i]), .right = DescribeStep(right[i])};
    }
  }
  if (left.size() != right.size()) {
    return Divergence{
        .index = common,
        .left = common < left.size() ? DescribeStep(left[common]) : "<end of trace>",
        .right = common < right.size() ? DescribeStep(right[common]) : "<end of trace>"};
  }
  if (a.hash() != b.hash() || a.events() != b.events()) {
    return Divergence{.index = common,
                      .left = "<beyond the kept steps; trace hash " + HashHex(a.hash()) + ">",
                      .right = "<beyond the kept steps; trace hash " + HashHex(b.hash()) + ">"};
  }
  return std::nullopt;
}

std::string DescribeStep(const TraceStep& step) {
  std::string text = "#" + Number(step.index) + " fiber " + Number(step.fiber_id) + " " +
                     std::string(EventKindName(step.kind));
  switch (step.kind) {
    case EventKind::kSpawn:
      text += " fiber=" + Number(step.a);
      break;
    case EventKind::kSchedule:
      text += " choice=" + Number(step.a) + " of " + Number(step.b);
      break;
    case EventKind::kLock:
      text += " mutex=" + Number(step.a) + (step.b != 0 ? " (crashing)" : "");
      break;
    case EventKind::kUnlock:
      text += " mutex=" + Number(step.a) + " to=" + Number(step.b);
      break;
    case EventKind::kBlock:
      text += " on=" + WaitKindName(step.a) + " object=" + Number(step.b);
      break;
    case EventKind::kWake:
      text += " by=" + Number(step.a);
      break;
    case EventKind::kWait:
      text += " condvar=" + Number(step.a) +
              (step.b == UINT64_MAX ? std::string() : " timeout_ns=" + Number(step.b));
      break;
    case EventKind::kSignal:
      text += " condvar=" + Number(step.a) + " woke=" + Number(step.b);
      break;
    case EventKind::kSleep:
      text += " duration_ns=" + Number(step.a);
      break;
    case EventKind::kTimerFire:
    case EventKind::kTimeJump:
      text += " now_ns=" + Number(step.a);
      break;
    case EventKind::kJoin:
      text += " target=" + Number(step.a);
      break;
    case EventKind::kBuggify:
      text += " line=" + Number(step.a) + (step.b != 0 ? " fired" : " quiet");
      break;
    case EventKind::kCrash:
      text += step.a != 0 ? " begin" : " end";
      break;
    case EventKind::kFinish:
    case EventKind::kIo:
    case EventKind::kFault:
    case EventKind::kNote:
      if (step.a != 0 || step.b != 0) text += " a=" + Number(step.a) + " b=" + Number(step.b);
      break;
  }
  if (!step.detail.empty()) text += " " + step.detail;
  return text;
}

void PrintTrace(const Trace& trace, std::FILE* out) {
  for (const TraceStep& step : trace.steps()) {
    std::fprintf(out, "%s  [%s]\n", DescribeStep(step).c_str(), HashHex(step.hash_after).c_str());
  }
  if (trace.truncated()) {
    std::fprintf(out, "... %" PRIu64 " more events not kept\n",
                 trace.events() - static_cast<uint64_t>(trace.steps().size()));
  }
  std::fprintf(out, "trace hash %s after %" PRIu64 " events\n", HashHex(trace.hash()).c_str(),
               trace.events());
}

std::string HashHex(uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i) {
    text[static_cast<size_t>(i)] = kDigits[hash & 0xF];
    hash >>= 4;
  }
  return text;
}

}  // namespace kiln::sim
