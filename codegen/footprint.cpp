#include "codegen/footprint.h"

#include "ir/error.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

namespace qcc {

Footprint objectFootprint(const std::string &object, int64_t arenaBytes) {
  llvm::MemoryBufferRef ref(object, "object");
  auto file = llvm::object::ObjectFile::createObjectFile(ref);
  if (!file) fail("cannot read the object: {}", llvm::toString(file.takeError()));
  const auto *elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(file->get());
  if (!elf) fail("the object is not an ELF file");
  Footprint footprint;
  footprint.arenaBytes = arenaBytes;
  for (const llvm::object::ELFSectionRef section : elf->sections()) {
    uint64_t flags = section.getFlags();
    if (!(flags & llvm::ELF::SHF_ALLOC)) continue;
    auto bytes = static_cast<int64_t>(section.getSize());
    if (flags & llvm::ELF::SHF_EXECINSTR)
      footprint.textBytes += bytes;
    else if (!(flags & llvm::ELF::SHF_WRITE))
      footprint.rodataBytes += bytes;
    else if (section.getType() == llvm::ELF::SHT_NOBITS)
      footprint.bssBytes += bytes;
    else
      footprint.dataBytes += bytes;
  }
  return footprint;
}

} // namespace qcc
