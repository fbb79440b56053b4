// Bearer-token authentication for the control API.
//
// The token lives in a file created with mode 0600 (random 32 bytes, hex).
// A token file readable by group or others is refused: a leaked token is a
// remote-control of the daemon.
#pragma once

#include <string>

#include "ksearch/core/status.h"

namespace ksearch::daemon {

// Reads the token, creating the file (and its folder) when missing.
Result<std::string> LoadOrCreateToken(const std::string& path);
// Reads an existing token (the CLI side). Errors name the file.
Result<std::string> ReadToken(const std::string& path);
// True when `authorization` is exactly "Bearer <token>"; constant time in the
// token length.
bool CheckBearer(const std::string& authorization, const std::string& token);

}  // namespace ksearch::daemon
