import type { z } from 'zod';

export type Issue = z.core.$ZodIssue;

/** Thrown when data crossing a boundary does not match its schema. */
export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${what}: ${describeIssues(issues)}`);
    this.name = 'ValidationError';
  }
}

/** One readable line per issue: "zones.0.mode: Invalid option". */
export function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length > 0 ? i.path.join('.') : '(root)';
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Parses unknown data at a boundary, throwing a ValidationError that names what was wrong. */
export function parseUnknown<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(what, result.error.issues);
  return result.data;
}

/** Parses unknown data at a boundary into a result, for edges that answer rather than throw. */
export function safeParseUnknown<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): { ok: true; value: z.infer<S> } | { ok: false; error: ValidationError } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new ValidationError(what, result.error.issues) };
}
