import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import ko from "./ko.json";

function keys(tree: object, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === "object" && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.includes(".test.") ? [path] : [];
  });
}

describe("translations", () => {
  it("Korean and English have the same keys", () => {
    expect(keys(en).sort()).toEqual(keys(ko).sort());
  });

  it("every literal key the code uses exists", () => {
    const known = new Set(keys(ko));
    const root = join(process.cwd(), "src");
    const used = sources(root).flatMap((file) =>
      // t("…") calls, and zod messages ("v.…") that forms translate.
      [...readFileSync(file, "utf8").matchAll(/\bt\("([a-zA-Z_.]+)"|"(v\.[a-zA-Z]+)"/g)].map(
        (m) => m[1] ?? m[2] ?? "",
      ),
    );
    expect(used.length).toBeGreaterThan(50);
    expect(used.filter((key) => !known.has(key))).toEqual([]);
  });
});
