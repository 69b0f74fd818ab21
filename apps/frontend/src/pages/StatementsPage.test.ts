import { describe, expect, it } from "vitest";
import { fileName } from "./StatementsPage";

describe("statement downloads", () => {
  it("use the server's file name from Content-Disposition, else a fallback", () => {
    expect(fileName('attachment; filename="statement-caregiver-2025-03.csv"', "x.csv")).toBe("statement-caregiver-2025-03.csv");
    expect(fileName("attachment; filename=agency-2025-04.pdf", "x.pdf")).toBe("agency-2025-04.pdf");
    expect(fileName(null, "statement-2025-03.pdf")).toBe("statement-2025-03.pdf");
  });
});
