import type { DocumentNode, GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { isPromise, type Plugin } from "graphql-yoga";

/**
 * Executions of one document before it is compiled. Compiling costs 2–18 ms, ten to fifty small
 * executions: a document sent once (or by someone sending a new one each time) is never compiled,
 * while the few that dashboards, wall displays and integrations repeat all day are, after a few runs.
 */
export const COMPILE_AFTER = 10;

interface Seen {
  runs: number;
  /** By operation name; null: graphql-jit can't compile it, and the interpreter runs it. */
  compiled: Map<string, CompiledQuery | null>;
}

function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
  try {
    const result = compileQuery(schema, document, operationName);
    // Not compiled (an unknown operation, say): the interpreter answers it with the usual errors.
    return isCompiledQuery(result) ? result : null;
  } catch {
    // graphql-jit writes literal arguments into its code as JSON, which a BigInt literal can't be.
    return null;
  }
}

/**
 * Runs queries and mutations that keep coming back through graphql-jit's compiled code instead of
 * graphql-js's interpreter (a fifth to a third more small queries a second here, the same answers).
 * Documents are the parser cache's, so each stays compiled as long as it stays parsed, and no longer.
 * Subscriptions stay with the interpreter: graphql-jit hands a subscription's resolver the operation's
 * variables as its arguments (its issue 183), which would lose `liveBoard(ticks: true)`'s ticks.
 */
export function compiledExecution(compileAfter = COMPILE_AFTER): Plugin {
  const documents = new WeakMap<DocumentNode, Seen>();
  function compiledFor(args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null }): CompiledQuery | null {
    let seen = documents.get(args.document);
    if (!seen) documents.set(args.document, (seen = { runs: 0, compiled: new Map() }));
    if (seen.runs < compileAfter) {
      seen.runs++;
      return null;
    }
    const name = args.operationName ?? "";
    let compiled = seen.compiled.get(name);
    if (compiled === undefined) seen.compiled.set(name, (compiled = compile(args.schema, args.document, args.operationName ?? undefined)));
    return compiled;
  }
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const compiled = compiledFor(args);
      if (!compiled) return;
      setExecuteFn((run) => {
        const result = compiled.query(run.rootValue, run.contextValue, run.variableValues);
        // Refused variables (an answer without data) are answered by the interpreter, in its words.
        return isPromise(result) || "data" in result ? result : executeFn(run);
      });
    },
  };
}
