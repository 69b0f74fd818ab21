// Generates src/api/schema.d.ts (types for openapi-fetch) from the backend's OpenAPI document.
// Usage: node scripts/gen-api.mjs OPENAPI.json   (`make frontend-api` dumps the document first)
import { readFileSync, writeFileSync } from "node:fs";
import { generateSchema } from "./schema-gen.mjs";

const source = process.argv[2];
if (!source) {
  console.error("usage: node scripts/gen-api.mjs OPENAPI.json");
  process.exit(2);
}
const target = new URL("../src/api/schema.d.ts", import.meta.url);
writeFileSync(target, await generateSchema(JSON.parse(readFileSync(source, "utf8"))));
console.log(`wrote ${target.pathname}`);
