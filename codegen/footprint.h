// The memory a compiled model occupies on its target (docs/embedding.md): flash for its code and
// constants, RAM for the arena the caller provides. No LLVM types.
#pragma once

#include <cstdint>
#include <string>

namespace qcc {

// Sizes in bytes, in the sense of the Berkeley format of `size`: every allocated section counts,
// the executable ones as .text, the other read-only ones as .rodata (weights, tables, names,
// unwind tables), the writable ones as .data, or as .bss when they take no space in the file.
struct Footprint {
  int64_t textBytes = 0;
  int64_t rodataBytes = 0;
  int64_t dataBytes = 0;
  int64_t bssBytes = 0;
  int64_t arenaBytes = 0; // NAME_ARENA_SIZE: scratch RAM the caller provides

  int64_t flashBytes() const { return textBytes + rodataBytes + dataBytes; }
  int64_t ramBytes() const { return dataBytes + bssBytes + arenaBytes; }
};

// The footprint of an ELF relocatable object (the NAME.o of `qcc compile`) whose model needs an
// arena of `arenaBytes`. Fails when `object` is not an ELF object.
Footprint objectFootprint(const std::string &object, int64_t arenaBytes);

} // namespace qcc
