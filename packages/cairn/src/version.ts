import { readFileSync } from "node:fs";

/**
 * Cairn's version, from its package.json: one level above both src/ and dist/, so the
 * same path holds from the sources (tsx, tests) and from the built or packed package.
 */
export const CAIRN_VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
