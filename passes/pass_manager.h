// Runs an ordered pipeline of graph passes, verifying the graph after each one and optionally
// printing it after a named pass (`--dump-after`).
#pragma once

#include "ir/graph.h"
#include "ir/op_registry.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qcc {

// Options every pass can see; set from the command line.
struct PassOptions {
  // Fail instead of keeping a float op (with a warning) where an integer form is impossible.
  bool strict = false;
  // Code generation target (`--target`): select_kernels and pack_weights depend on it.
  std::string target = "native";
};

class Pass {
public:
  virtual ~Pass() = default;
  virtual std::string name() const = 0;
  // The level the graph is at after this pass, given the level it was at before: a pass that
  // moves the graph to a level returns that level; one that keeps the level (canonicalize,
  // fold_batchnorm) returns `input`.
  virtual Level resultLevel(Level input) const = 0;
  virtual void run(Graph &graph) = 0;
};

struct PassTiming {
  std::string pass;
  std::chrono::nanoseconds time;
};

class PassManager {
public:
  void add(std::unique_ptr<Pass> pass);
  // Called with the graph after the pass of that name; fails in run() if no such pass exists.
  void dumpAfter(std::string passName, std::function<void(const Graph &)> dump);
  void setVerify(bool enabled) { verify_ = enabled; }

  std::vector<std::string> pipeline() const;
  // Runs the passes on `graph`, which is at level `start`; returns the level after the last pass.
  Level run(Graph &graph, Level start = kImportLevel);
  const std::vector<PassTiming> &timings() const { return timings_; }

private:
  std::vector<std::unique_ptr<Pass>> passes_;
  std::string dumpAfter_;
  std::function<void(const Graph &)> dump_;
  bool verify_ = true;
  std::vector<PassTiming> timings_;
};

} // namespace qcc
