// kaictl call SERVICE OP [JSON|-]: one request of a schema operation over the bus.
//
// The operation is looked up in the generated registry (proto-schemas/); the JSON request is
// transcoded to MessagePack and validated against the operation's request schema before anything
// is sent, so a mistake is reported with the offending field and the bus never sees it. Writes
// carry an idempotency key (--idempotency-key, or a fresh one that is reported with any error so
// the call can be retried safely with it). The reply is rendered as JSON on stdout; an error as
//   {"error":{"code":"...","message":"...","field":"...","request_id":"...",
//             "idempotency_key":"..."}}
// on stderr (field and idempotency_key only when there is one), with exit code 1 (2 for an
// unknown service or operation).
//
// The JSON request is the third argument, or stdin when it is "-" or absent (absent with a
// terminal on stdin means {}). Personal data in replies is shown as is unless --mask-pii: kaictl
// is an operator's tool on the bus, behind the bus's own keys, not the gateway.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "schema/descriptor.hpp"

namespace kai::kaictl {

// The operation SERVICE.OP; invalid_argument with field "service" or "op" (listing the known
// names) when the registry has no such service or operation.
Result<const schema::OperationDesc*> find_call_operation(std::string_view service,
                                                         std::string_view op);

// The MessagePack request for `op` from JSON text (blank text is {}), validated against the
// request schema; invalid_argument naming the field otherwise.
Result<std::string> request_payload(const schema::OperationDesc& op, std::string_view json);

// The reply payload as JSON text (pretty: indented by two spaces).
Result<std::string> render_reply(const schema::OperationDesc& op, std::string_view payload,
                                 bool mask_pii, bool pretty);

// The JSON error document printed on stderr for a failed call.
std::string error_json(const Status& status, std::string_view request_id,
                       std::string_view idempotency_key);

}  // namespace kai::kaictl
