#pragma once
// Reading a whole file into memory: configuration files, task files, cached
// build records, a runner's result. One place for it, so every reader gets
// the same error (the path and the system's reason) instead of a stream that
// silently yields nothing.
#include <string>
#include <string_view>

#include "ksearch/core/status.h"

namespace ksearch {

// The file's bytes, unchanged (no newline conversion). NotFound when the file
// cannot be opened or read; the message is "PATH: cannot read: REASON", or
// "PATH: cannot read WHAT: REASON" when `what` names the file's role ("the
// campaign file"); REASON is the errno text ("No such file or directory",
// "Permission denied", "Is a directory", ...).
Result<std::string> ReadFileText(const std::string& path, std::string_view what = {});

}  // namespace ksearch
