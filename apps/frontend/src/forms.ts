import { useState } from "react";
// Typed against zod's core so both the full `zod` and the small `zod/mini` schemas fit (the
// login screen, in the first bundle, uses zod/mini).
import type { $ZodError, $ZodType, input, output } from "zod/v4/core";
import { fieldErrors, toProblem, type Problem } from "./api/problem";

/** zod issues -> field name -> message key (translated by the form). */
export function zodErrors(error: $ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = issue.path.join(".");
    if (!(name in out)) out[name] = issue.message;
  }
  return out;
}

/**
 * Form state for one zod schema: client-side validation before sending, then the server's
 * problem+json errors placed next to the fields they name (the rest shown above the form).
 */
export function useSchemaForm<S extends $ZodType<Record<string, unknown>> & {
    safeParse(data: unknown): { success: true; data: output<S> } | { success: false; error: $ZodError };
  }>(
  schema: S,
  initial: input<S>,
) {
  const [values, setValues] = useState<input<S>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const [submitting, setSubmitting] = useState(false);

  function set<K extends keyof input<S>>(key: K, value: input<S>[K]) {
    setValues((current) => ({ ...(current as object), [key]: value }) as input<S>);
    setErrors((current) =>
      key in current
        ? Object.fromEntries(Object.entries(current).filter(([name]) => name !== key))
        : current,
    );
  }

  async function submit(send: (data: output<S>) => Promise<unknown>): Promise<boolean> {
    const parsed = schema.safeParse(values);
    if (!parsed.success) {
      setErrors(zodErrors(parsed.error));
      return false;
    }
    setSubmitting(true);
    setProblem(null);
    try {
      await send(parsed.data);
      setErrors({});
      return true;
    } catch (error) {
      const p = toProblem(error);
      const byField = fieldErrors(p);
      setErrors(byField);
      // Errors not tied to a field are shown for the whole form.
      if (Object.keys(byField).length === 0) setProblem(p);
      return false;
    } finally {
      setSubmitting(false);
    }
  }

  return { values, set, setValues, errors, problem, submitting, submit };
}
