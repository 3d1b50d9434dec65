// The public contract spells every enum value UPPER_SNAKE (as GitHub's and Shopify's APIs do), while
// the database, the rules and the jobs keep their lower-case values: each GraphQL value maps to the
// internal one here, so renaming the contract needed no migration.

type Described = { description?: string };

/** Enum values keyed by their UPPER_SNAKE GraphQL name, each resolving to the internal value. */
export type UpperSnakeValues<V extends string> = { [K in V as Uppercase<K>]: { value: K; description?: string } };

export function upperSnake<const V extends string>(values: readonly V[] | { readonly [K in V]: Described }): UpperSnakeValues<V> {
  const entries: [V, Described][] = Array.isArray(values)
    ? (values as readonly V[]).map((v) => [v, {}])
    : (Object.entries(values) as [V, Described][]);
  return Object.fromEntries(entries.map(([value, config]) => [value.toUpperCase(), { ...config, value }])) as UpperSnakeValues<V>;
}
