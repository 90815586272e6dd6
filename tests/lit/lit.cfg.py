# lit configuration of qcc's text-IR suite. Run it through the build directory
# (`lit -sv BUILD/tests/lit`, `ctest -R lit` or `ninja check-lit`): the lit.site.cfg.py that CMake
# writes there sets the paths used below, then loads this file.
import os

import lit.formats

if not hasattr(config, "qcc_opt"):
    lit_config.fatal("run lit on the build directory's tests/lit, which CMake configures")

config.name = "qcc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".qir", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = config.lit_source_dir
config.test_exec_root = config.lit_binary_dir

# Tests call qcc, qcc-opt, FileCheck and not by name; this build's copies come first.
tool_dirs = []
for tool in (config.qcc, config.qcc_opt, config.filecheck, config.not_tool):
    if os.path.dirname(tool) not in tool_dirs:
        tool_dirs.append(os.path.dirname(tool))
config.environment["PATH"] = os.pathsep.join(tool_dirs + [config.environment.get("PATH", "")])

config.substitutions.append(("%examples", config.examples_dir))
config.substitutions.append(("%corpus", config.corpus_dir))

# A clone without ../shared/corpus reports the corpus tests UNSUPPORTED instead of failing them.
if os.path.isdir(config.corpus_dir):
    config.available_features.add("corpus")
