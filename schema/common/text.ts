// Text PostgreSQL can't store, checked before it reaches a statement (where it would fail as a 500).

/** Half of a UTF-16 pair on its own: it has no UTF-8 form, and the driver and jsonb both fail on it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why the text can't be stored ("must not contain NUL characters", …); null when it can. */
export function unstorableText(value: string): string | null {
  if (value.includes("\0")) return "must not contain NUL characters";
  return LONE_SURROGATE.test(value) ? "must be well-formed Unicode (no lone surrogates)" : null;
}
