#pragma once
// Status propagation macros. Abseil 20220623 (Debian 12) has no public RETURN_IF_ERROR.
//
// Thread safety: macros only.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WS_STATUS_CONCAT_INNER_(a, b) a##b
#define WS_STATUS_CONCAT_(a, b) WS_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is not OK.
#define WS_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    ::absl::Status ws_status_ = (expr);               \
    if (!ws_status_.ok()) return ws_status_;          \
  } while (0)

// `lhs` = value of the StatusOr `rexpr`, or returns its status from the enclosing function.
#define WS_ASSIGN_OR_RETURN(lhs, rexpr) \
  WS_ASSIGN_OR_RETURN_IMPL_(WS_STATUS_CONCAT_(ws_statusor_, __LINE__), lhs, rexpr)

#define WS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()
