import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSchema } from "../../scripts/schema-gen.mjs";

/**
 * The committed client types must match the backend's OpenAPI document as it is now.
 * `make test-frontend` dumps the document from the backend's app factory into HOMECARE_OPENAPI.
 */
describe("generated API types", () => {
  it("are up to date with the backend (run `make frontend-api` if this fails)", async () => {
    const source = process.env.HOMECARE_OPENAPI;
    expect(source, "HOMECARE_OPENAPI is not set: run the tests through `make test-frontend`").toBeTruthy();
    const document = JSON.parse(readFileSync(source ?? "", "utf8")) as object;
    const fresh = await generateSchema(document);
    const committed = readFileSync(join(process.cwd(), "src/api/schema.d.ts"), "utf8");
    expect(committed === fresh, "src/api/schema.d.ts is stale: run `make frontend-api`").toBe(true);
  });
});
