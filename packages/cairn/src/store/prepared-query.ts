import type { Compilable, Kysely } from "kysely";
import type { PreparedReads } from "./store-dialect.js";

/**
 * A read built and compiled by Kysely once; each call only binds new values to its
 * named parameters and runs the same SQL text, through the dialect's prepared reads
 * (store-dialect.ts), so neither Kysely's builder nor its executor is on the path.
 * Building and compiling a small select with Kysely costs about as much as running it
 * (15-20 µs on the development machines), and its executor (connection mutex, result
 * transforms, a row object built by the driver) more again, which matters on paths
 * taken by every API request.
 *
 * Rows come as arrays, read by column name through `at`:
 *
 * ```ts
 * const byLogin = preparedQuery<{ login: string }, "email">(db, reads, (p) => db.selectFrom("users").select("email").where("login", "=", p("login")));
 * const { rows: [row], at } = await byLogin.execute({ login: "ada" });
 * const email = row?.[at.email];
 * ```
 */
export interface PreparedQuery<P, C extends string> {
  readonly sql: string;
  execute(values: P): Promise<Rows<C>>;
}

export interface Rows<C extends string> {
  /** Each row's values, in select order. */
  readonly rows: readonly Row[];
  /** Where each column is in a row. */
  readonly at: Readonly<Record<C, number>>;
}

export type Row = readonly unknown[];

/** Stands for a named value while the query is compiled; never reaches the database. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** `p("name")` inside `build`: a value bound at each call. Typed as the value it stands for. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];

export function preparedQuery<P extends object, C extends string>(db: Kysely<any>, reads: PreparedReads, build: (p: Param<P>) => Compilable<unknown>): PreparedQuery<P, C> {
  const compiled = build(((name: string) => new Placeholder(name)) as Param<P>).compile();
  // Each parameter position is filled from the values at each call; a constant the
  // builder parameterised (a limit, say) keeps its value.
  const slots = compiled.parameters.map((value) => (value instanceof Placeholder ? value.name : undefined));
  const constants = compiled.parameters;
  const read = reads.prepare(compiled.sql);
  // The same statement always answers the same columns: indexed once.
  let at: Record<C, number> | undefined;
  let indexed: readonly string[] | undefined;
  return {
    sql: compiled.sql,
    async execute(values: P): Promise<Rows<C>> {
      const parameters = slots.map((name, i) => (name === undefined ? constants[i] : values[name as keyof P]));
      const { columns, rows } = await read(parameters);
      if (indexed !== columns && !sameNames(indexed, columns)) at = Object.fromEntries(columns.map((name, i) => [name, i])) as Record<C, number>;
      indexed = columns;
      return { rows, at: at! };
    },
  };
}

function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((name, i) => name === b[i]);
}
