#include "util/sim_hooks.h"

#include <algorithm>
#include <cstring>

namespace kiln {
namespace {

// Constructed on first use and never destroyed: registration runs during
// static initialisation in an order the linker picks, and reports may run
// during static destruction.
std::vector<const BuggifySite*>& BuggifyRegistry() {
  static auto* registry = new std::vector<const BuggifySite*>();
  return *registry;
}

std::vector<const ProbeSite*>& ProbeRegistry() {
  static auto* registry = new std::vector<const ProbeSite*>();
  return *registry;
}

int CompareStrings(const char* a, const char* b) { return std::strcmp(a, b); }

bool BuggifySiteLess(const BuggifySite* a, const BuggifySite* b) {
  const int by_file = CompareStrings(a->file, b->file);
  if (by_file != 0) return by_file < 0;
  return a->line < b->line;
}

bool ProbeSiteLess(const ProbeSite* a, const ProbeSite* b) {
  const int by_file = CompareStrings(a->file, b->file);
  if (by_file != 0) return by_file < 0;
  if (a->line != b->line) return a->line < b->line;
  return CompareStrings(a->why, b->why) < 0;
}

}  // namespace

namespace internal {

bool RegisterBuggifySite(const BuggifySite* site) {
  BuggifyRegistry().push_back(site);
  return true;
}

bool RegisterProbeSite(const ProbeSite* site) {
  ProbeRegistry().push_back(site);
  return true;
}

}  // namespace internal

SimHooks* SetCurrentSimHooks(SimHooks* hooks) {
  SimHooks* previous = internal::current_sim_hooks;
  internal::current_sim_hooks = hooks;
  return previous;
}

std::vector<const BuggifySite*> RegisteredBuggifySites() {
  std::vector<const BuggifySite*> sites = BuggifyRegistry();
  // stable_sort: equal sites keep registration order, itself fixed per binary.
  std::stable_sort(sites.begin(), sites.end(), BuggifySiteLess);
  return sites;
}

std::vector<const ProbeSite*> RegisteredProbeSites() {
  std::vector<const ProbeSite*> sites = ProbeRegistry();
  std::stable_sort(sites.begin(), sites.end(), ProbeSiteLess);
  return sites;
}

}  // namespace kiln
