// The arena plan: a fixed, 64-byte aligned arena offset for every intermediate value, from
// the values' liveness in op order (memory_plan.h). Values whose live intervals overlap never
// share bytes, except a byte view (reshape) and its operand, which hold the same bytes.
#include "ir/memory_plan.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <tuple>

namespace qcc {

int64_t tensorBytes(const TensorType &type) {
  return checkedNumel(type.shape) * static_cast<int64_t>(storageBytes(type.dtype));
}

bool isByteView(std::string_view kind) {
  return kind == "reshape" || kind == "flatten" || kind == "squeeze" || kind == "unsqueeze";
}

namespace {

int64_t alignUp(int64_t n) {
  return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

// The format of the buffers the artifact API exchanges with its caller.
bool isCallerFormat(const TensorType &type) {
  return type.dtype == DType::f32 && type.layout.kind == LayoutKind::plain;
}

// Bytes shared by one or more values (a value and the byte views of it), live from the first
// definition to the last use of any of them.
struct Buffer {
  int64_t size; // aligned
  int32_t start;
  int32_t end;
};

bool overlap(const Buffer &a, const Buffer &b) {
  return a.start <= b.end && b.start <= a.end;
}

// Places the buffers one at a time in `order`, each in the smallest gap between the buffers
// already placed that it overlaps in time and that it fits in, else above all of them. Returns
// the offsets (by buffer index) and sets `arena` to the bytes used.
std::vector<int64_t> placeInOrder(const std::vector<Buffer> &buffers,
                                  const std::vector<size_t> &order, int64_t &arena) {
  std::vector<int64_t> offsets(buffers.size(), 0);
  std::vector<size_t> placed;
  arena = 0;
  for (size_t b : order) {
    const Buffer &buf = buffers[b];
    if (buf.size == 0) continue;
    std::vector<size_t> conflicts;
    for (size_t p : placed)
      if (overlap(buffers[p], buf)) conflicts.push_back(p);
    std::sort(conflicts.begin(), conflicts.end(), [&](size_t x, size_t y) {
      return offsets[x] != offsets[y] ? offsets[x] < offsets[y] : x < y;
    });
    int64_t cursor = 0;
    int64_t best = -1;
    int64_t bestGap = std::numeric_limits<int64_t>::max();
    for (size_t c : conflicts) {
      int64_t gap = offsets[c] - cursor;
      if (gap >= buf.size && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = std::max(cursor, offsets[c] + buffers[c].size);
    }
    offsets[b] = best >= 0 ? best : cursor;
    arena = std::max(arena, offsets[b] + buf.size);
    placed.push_back(b);
  }
  return offsets;
}

// Optimal placement is NP-hard; a few greedy orders, best result kept, reach the liveness lower
// bound on the models of the corpus (docs/report.md has the numbers).
std::vector<int64_t> placeBuffers(const std::vector<Buffer> &buffers, int64_t &arena) {
  std::vector<size_t> bySize(buffers.size());
  std::iota(bySize.begin(), bySize.end(), size_t{0});
  std::vector<size_t> byStart = bySize;
  std::vector<size_t> byLength = bySize;
  auto key = [&](size_t i) {
    const Buffer &b = buffers[i];
    return std::tuple(-b.size, b.start, i);
  };
  std::sort(bySize.begin(), bySize.end(), [&](size_t x, size_t y) { return key(x) < key(y); });
  std::sort(byStart.begin(), byStart.end(), [&](size_t x, size_t y) {
    return std::tuple(buffers[x].start, key(x)) < std::tuple(buffers[y].start, key(y));
  });
  std::sort(byLength.begin(), byLength.end(), [&](size_t x, size_t y) {
    return std::tuple(buffers[y].end - buffers[y].start, key(x)) <
           std::tuple(buffers[x].end - buffers[x].start, key(y));
  });
  std::vector<int64_t> best;
  arena = std::numeric_limits<int64_t>::max();
  for (const std::vector<size_t> *order : {&bySize, &byStart, &byLength}) {
    int64_t used = 0;
    std::vector<int64_t> offsets = placeInOrder(buffers, *order, used);
    if (used < arena) {
      arena = used;
      best = std::move(offsets);
    }
  }
  return best;
}

} // namespace

MemoryPlan planMemory(const Graph &g) {
  size_t nvalues = g.values.size();
  auto at = [](ValueId v) { return static_cast<size_t>(v); };
  auto lastOp = static_cast<int32_t>(g.ops.empty() ? 0 : g.ops.size() - 1);
  MemoryPlan plan;
  plan.offset.assign(nvalues, -1);
  plan.bytes.assign(nvalues, 0);
  plan.firstUse.assign(nvalues, -1);
  plan.lastUse.assign(nvalues, -1);
  plan.sharesWith.assign(nvalues, kNoValue);
  for (size_t v = 0; v < nvalues; ++v) plan.bytes[v] = tensorBytes(g.values[v].type);

  std::vector<char> isOutput(nvalues, 0);
  for (ValueId out : g.outputs) isOutput[at(out)] = 1;
  std::vector<char> inArena(nvalues, 0);
  for (ValueId in : g.inputs)
    if (!isCallerFormat(g.type(in))) {
      inArena[at(in)] = 1;
      plan.firstUse[at(in)] = 0;
    }
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op &op = g.ops[i];
    if (op.kind == "constant") continue;
    for (ValueId out : op.outputs)
      if (!(isOutput[at(out)] && isCallerFormat(g.type(out)))) {
        inArena[at(out)] = 1;
        plan.firstUse[at(out)] = static_cast<int32_t>(i);
      }
  }
  for (size_t v = 0; v < nvalues; ++v) plan.lastUse[v] = plan.firstUse[v];
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (ValueId in : g.ops[i].inputs)
      if (in != kNoValue && inArena[at(in)])
        plan.lastUse[at(in)] = std::max(plan.lastUse[at(in)], static_cast<int32_t>(i));
  for (ValueId out : g.outputs)
    if (inArena[at(out)]) plan.lastUse[at(out)] = lastOp;

  // A byte view and its operand hold the same bytes, and SSA values are written only by their
  // defining op, so the two may share bytes for as long as either is live.
  std::vector<ValueId> root(nvalues);
  std::iota(root.begin(), root.end(), ValueId{0});
  for (const Op &op : g.ops) {
    if (!isByteView(op.kind) || op.inputs.size() != 1 || op.outputs.size() != 1) continue;
    ValueId x = op.inputs[0];
    ValueId y = op.outputs[0];
    if (x == kNoValue || !inArena[at(x)] || !inArena[at(y)]) continue;
    if (plan.bytes[at(x)] != plan.bytes[at(y)]) continue;
    plan.sharesWith[at(y)] = x;
    root[at(y)] = root[at(x)];
  }

  std::vector<Buffer> buffers;
  std::vector<size_t> bufferOf(nvalues, 0);
  for (size_t v = 0; v < nvalues; ++v)
    if (inArena[v] && root[v] == static_cast<ValueId>(v)) {
      bufferOf[v] = buffers.size();
      buffers.push_back({alignUp(plan.bytes[v]), plan.firstUse[v], plan.lastUse[v]});
    }
  for (size_t v = 0; v < nvalues; ++v)
    if (inArena[v] && root[v] != static_cast<ValueId>(v)) {
      bufferOf[v] = bufferOf[at(root[v])];
      Buffer &b = buffers[bufferOf[v]];
      b.start = std::min(b.start, plan.firstUse[v]);
      b.end = std::max(b.end, plan.lastUse[v]);
    }

  std::vector<int64_t> liveBytes(static_cast<size_t>(lastOp) + 2, 0);
  for (const Buffer &b : buffers) {
    liveBytes[static_cast<size_t>(b.start)] += b.size;
    liveBytes[static_cast<size_t>(b.end) + 1] -= b.size;
  }
  int64_t live = 0;
  for (int64_t delta : liveBytes) {
    live += delta;
    plan.lowerBoundBytes = std::max(plan.lowerBoundBytes, live);
  }

  std::vector<int64_t> offsets = placeBuffers(buffers, plan.arenaBytes);
  for (size_t v = 0; v < nvalues; ++v)
    if (inArena[v]) plan.offset[v] = offsets[bufferOf[v]];
  return plan;
}

} // namespace qcc
