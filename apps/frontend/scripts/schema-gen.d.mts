/** Types of schema-gen.mjs for the TypeScript test that imports it. */
export function generateSchema(document: object): Promise<string>;
