import type { Compilable, Kysely } from "kysely";
import type { PreparedReads } from "./store-dialect.js";

/**
 * A read built and compiled by Kysely once; each call only binds new values to its
 * named parameters and runs the same SQL text, through the dialect's prepared reads
 * (store-dialect.ts), so neither Kysely's builder nor its executor is on the path.
 * Building and compiling a small select with Kysely costs about as much as running it
 * (15-20 µs on the development machines), and its executor (connection mutex, result
 * transforms, a row object built by the driver) another 15-20 µs, which matters on
 * paths taken by every API request.
 *
 * ```ts
 * const byLogin = preparedQuery(db, reads, (p) => db.selectFrom("users").selectAll().where("login", "=", p("login")));
 * const rows = await byLogin.execute({ login: "ada" });
 * ```
 */
export interface PreparedQuery<P, O> {
  readonly sql: string;
  execute(values: P): Promise<O[]>;
}

/** Stands for a named value while the query is compiled; never reaches the database. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** `p("name")` inside `build`: a value bound at each call. Typed as the value it stands for. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];

export function preparedQuery<P extends object, O>(db: Kysely<any>, reads: PreparedReads, build: (p: Param<P>) => Compilable<O>): PreparedQuery<P, O> {
  const compiled = build(((name: string) => new Placeholder(name)) as Param<P>).compile();
  // Each parameter position is filled from the values at each call; a constant the
  // builder parameterised (a limit, say) keeps its value.
  const slots = compiled.parameters.map((value) => (value instanceof Placeholder ? value.name : undefined));
  const constants = compiled.parameters;
  const read = reads.prepare(compiled.sql);
  return {
    sql: compiled.sql,
    async execute(values: P): Promise<O[]> {
      const parameters = slots.map((name, i) => (name === undefined ? constants[i] : values[name as keyof P]));
      return (await read(parameters)) as O[];
    },
  };
}
