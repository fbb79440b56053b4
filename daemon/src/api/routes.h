// The control API's routes: authentication, parsing, status codes.
//
//   GET  /v1/campaigns                      list
//   POST /v1/campaigns                      start; body {"spec_yaml": "...", "source": "name"}
//   GET  /v1/campaigns/{id}                 status
//   POST /v1/campaigns/{id}/{pause|resume|stop}
//   GET  /v1/campaigns/{id}/attempts?limit=&offset=&verdict=
//   GET  /v1/campaigns/{id}/best            source and evidence packet
//   GET  /v1/campaigns/{id}/frontier
//   GET  /v1/campaigns/{id}/export          history, memory, frontier.csv
//   GET  /v1/deadends?task=&arch=&axis=&class=&since_ms=
//   GET  /metrics                           Prometheus text
//
// Every endpoint requires "Authorization: Bearer <token>" (401 otherwise).
// Errors are {"error": "..."} with 400 (malformed), 404 (unknown route or
// campaign), 405 (wrong method), 409 (invalid state change), 413 (too large).
#pragma once

#include <string>

#include "api/control_plane.h"
#include "api/http_types.h"

namespace ksearch::daemon {

// `plane` must outlive the returned handler's use.
ApiResponse HandleApiRequest(const ApiRequest& request, const std::string& token, ControlPlane& plane);

}  // namespace ksearch::daemon
