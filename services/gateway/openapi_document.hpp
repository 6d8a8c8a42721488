// The OpenAPI 3 document served at /api/v1/openapi.json: the generated document of every bus route
// (proto-schemas, kai::schema::openapi_json()) completed with what the gateway itself adds — its
// own routes (the audit log, the document itself, the API page), the `format=csv` parameter of
// list routes, and the protocol errors of body routes (413, 415).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kai::gateway {

// The complete document as JSON text, built from `generated` (an OpenAPI 3.0 document as the
// schema generator writes it). invalid_argument when `generated` is not such a document.
Result<std::string> build_openapi_document(std::string_view generated);

}  // namespace kai::gateway
