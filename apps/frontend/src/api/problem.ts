/** RFC 9457 problem+json as the backend sends it; switch on `code`, never on `title`. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: { loc: (string | number)[]; msg: string; type?: string }[];
}

export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
    this.problem = problem;
  }
}

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Problem).code === "string" &&
    typeof (value as Problem).status === "number"
  );
}

/** The problem behind any failure: an API problem, or a network/other error as `network_error`. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  if (isProblem(error)) return error;
  return { title: String(error), status: 0, code: "network_error" };
}

/** Stable codes that concern one form field rather than the whole form. */
const CODE_FIELDS: Record<string, string> = {
  email_taken: "email",
  invalid_credentials: "password",
  wrong_password: "current_password",
  caregiver_double_booked: "start_at",
  booking_out_of_range: "start_at",
  // The share form's invitee address: already sharing, already invited, not a family account.
  already_sharing: "email",
  invitation_pending: "email",
  not_a_family_account: "email",
};

/**
 * Field name -> the server's message, from validation `errors[].loc` (["body", "email"] ->
 * "email"; nested locations join with "."), and from codes tied to one field.
 */
export function fieldErrors(problem: Problem): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of problem.errors ?? []) {
    const path = error.loc[0] === "body" ? error.loc.slice(1) : error.loc;
    const name = path.join(".");
    if (name && !(name in out)) out[name] = error.msg;
  }
  const field = CODE_FIELDS[problem.code];
  if (field && !(field in out)) out[field] = `problem.${problem.code}`; // an i18n key
  return out;
}

/** `{data, error, response}` from openapi-fetch -> the data, or throws an ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new ApiError(
      isProblem(error)
        ? error
        : { title: response.statusText || "Error", status: response.status, code: "http_error" },
    );
  }
  return data as T;
}
