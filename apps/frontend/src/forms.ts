import { useState } from "react";
import type { z } from "zod";
import { fieldErrors, toProblem, type Problem } from "./api/problem";

/** zod issues -> field name -> message key (translated by the form). */
export function zodErrors(error: z.ZodError): Record<string, string> {
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
export function useSchemaForm<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  initial: z.input<S>,
) {
  const [values, setValues] = useState<z.input<S>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const [submitting, setSubmitting] = useState(false);

  function set<K extends keyof z.input<S>>(key: K, value: z.input<S>[K]) {
    setValues((current) => ({ ...(current as object), [key]: value }) as z.input<S>);
    setErrors((current) =>
      key in current
        ? Object.fromEntries(Object.entries(current).filter(([name]) => name !== key))
        : current,
    );
  }

  async function submit(send: (data: z.output<S>) => Promise<unknown>): Promise<boolean> {
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
