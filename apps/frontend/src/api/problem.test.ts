import { describe, expect, it } from "vitest";
import { ApiError, fieldErrors, toProblem, unwrap } from "./problem";

describe("problem+json", () => {
  it("maps validation errors to their fields", () => {
    const errors = fieldErrors({
      title: "Validation failed",
      status: 422,
      code: "validation_error",
      errors: [
        { loc: ["body", "email"], msg: "not an email" },
        { loc: ["body", "weekly_slots", 0, "start"], msg: "bad time" },
        { loc: ["body", "email"], msg: "second message is ignored" },
      ],
    });
    expect(errors).toEqual({ email: "not an email", "weekly_slots.0.start": "bad time" });
  });

  it("maps codes tied to one field to an i18n key on that field", () => {
    expect(fieldErrors({ title: "t", status: 409, code: "email_taken" })).toEqual({
      email: "problem.email_taken",
    });
    expect(fieldErrors({ title: "t", status: 409, code: "already_sharing" })).toEqual({
      email: "problem.already_sharing",
    });
    expect(fieldErrors({ title: "t", status: 403, code: "forbidden_role" })).toEqual({});
  });

  it("unwrap throws an ApiError carrying the problem", async () => {
    const response = new Response(null, { status: 404 });
    const error = { title: "No such offer", status: 404, code: "offer_not_found" };
    await expect(unwrap(Promise.resolve({ error, response }))).rejects.toMatchObject({
      problem: { code: "offer_not_found" },
    });
    await expect(
      unwrap(Promise.resolve({ data: { ok: 1 }, response: new Response("{}") })),
    ).resolves.toEqual({ ok: 1 });
  });

  it("turns a network failure into network_error", () => {
    expect(toProblem(new TypeError("fetch failed")).code).toBe("network_error");
    expect(toProblem(new ApiError({ title: "x", status: 409, code: "c" })).code).toBe("c");
  });
});
