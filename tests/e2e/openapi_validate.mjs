// Fetches the gateway's OpenAPI document and validates it with an independent OpenAPI validator
// (@seriousme/openapi-schema-validator, from the npm registry): the document must match the
// official OpenAPI schema of its version and every $ref must resolve.
// Usage: node openapi_validate.mjs http://127.0.0.1:PORT
import { Validator } from "@seriousme/openapi-schema-validator";

const base = process.argv[2];
if (!base) {
  console.error("usage: node openapi_validate.mjs <gateway base url>");
  process.exit(2);
}

const response = await fetch(`${base}/api/v1/openapi.json`);
if (response.status !== 200) {
  console.error(`GET /api/v1/openapi.json answered ${response.status}`);
  process.exit(1);
}
const document = await response.json();

const validator = new Validator();
const result = await validator.validate(document);
if (!result.valid) {
  console.error("the OpenAPI document does not match the OpenAPI schema:");
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
try {
  validator.resolveRefs();
} catch (err) {
  console.error(`a $ref does not resolve: ${err.message}`);
  process.exit(1);
}
const operations = Object.values(document.paths).reduce(
  (n, item) => n + Object.keys(item).filter((k) => k !== "parameters").length, 0);
console.log(`valid OpenAPI ${validator.version}: ${Object.keys(document.paths).length} paths, ` +
            `${operations} operations`);
