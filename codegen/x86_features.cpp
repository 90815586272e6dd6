#include "codegen/x86_features.h"

#include "ir/error.h"

#include <algorithm>
#include <array>
#include <sstream>
#include <string>

namespace qcc {
namespace {

enum : unsigned { kEax, kEbx, kEcx, kEdx };
constexpr uint32_t kExtended = 0x80000001u;

// The x86-64 psABI micro-architecture levels, cumulative.
const std::vector<X86Feature> kLevel2 = {{"cx16", 1, 0, kEcx, 13},       {"popcnt", 1, 0, kEcx, 23},
                                         {"sse3", 1, 0, kEcx, 0},        {"sse4.1", 1, 0, kEcx, 19},
                                         {"sse4.2", 1, 0, kEcx, 20},     {"ssse3", 1, 0, kEcx, 9},
                                         {"sahf", kExtended, 0, kEcx, 0}};
const std::vector<X86Feature> kLevel3 = {
    {"avx", 1, 0, kEcx, 28},   {"avx2", 7, 0, kEbx, 5},   {"bmi", 7, 0, kEbx, 3},
    {"bmi2", 7, 0, kEbx, 8},   {"f16c", 1, 0, kEcx, 29},  {"fma", 1, 0, kEcx, 12},
    {"movbe", 1, 0, kEcx, 22}, {"xsave", 1, 0, kEcx, 26}, {"lzcnt", kExtended, 0, kEcx, 5}};
const std::vector<X86Feature> kLevel4 = {{"avx512f", 7, 0, kEbx, 16},
                                         {"avx512bw", 7, 0, kEbx, 30},
                                         {"avx512cd", 7, 0, kEbx, 28},
                                         {"avx512dq", 7, 0, kEbx, 17},
                                         {"avx512vl", 7, 0, kEbx, 31}};
// Features a target may add to its level.
const std::vector<X86Feature> kExtras = {{"avx512vpopcntdq", 7, 0, kEcx, 14},
                                         {"avx512bitalg", 7, 0, kEcx, 12},
                                         {"avx512vnni", 7, 0, kEcx, 11}};

int level(const CodegenTarget &target) {
  if (target.cpu == "x86-64-v2") return 2;
  if (target.cpu == "x86-64-v3") return 3;
  if (target.cpu == "x86-64-v4") return 4;
  fail("target {} (CPU {}) is not an x86-64 level", target.name, target.cpu);
}

const X86Feature *findFeature(const std::string &name) {
  for (const auto *table : {&kLevel2, &kLevel3, &kLevel4, &kExtras})
    for (const X86Feature &f : *table)
      if (name == f.name) return &f;
  return nullptr;
}

} // namespace

std::vector<X86Feature> x86Requirements(const CodegenTarget &target) {
  int lvl = level(target);
  std::vector<X86Feature> features = kLevel2;
  if (lvl >= 3) features.insert(features.end(), kLevel3.begin(), kLevel3.end());
  if (lvl >= 4) features.insert(features.end(), kLevel4.begin(), kLevel4.end());
  std::stringstream list(target.features);
  std::string item;
  while (std::getline(list, item, ',')) {
    if (item.size() < 2 || item[0] != '+') continue;
    const X86Feature *f = findFeature(item.substr(1));
    if (!f)
      fail("internal error: target {} uses feature '{}', unknown to the dispatch", target.name,
           item);
    bool present = std::any_of(features.begin(), features.end(),
                               [&](const X86Feature &g) { return std::string(g.name) == f->name; });
    if (!present) features.push_back(*f);
  }
  return features;
}

uint64_t x86StateMask(const CodegenTarget &target) {
  int lvl = level(target);
  // XCR0: x87 + SSE (bits 0-1), AVX (2), AVX-512 opmask and upper ZMM state (5-7).
  return lvl >= 4 ? 0xe6 : lvl >= 3 ? 0x6 : 0;
}

} // namespace qcc
