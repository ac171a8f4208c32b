#!/usr/bin/env node
// Entry point of `npm run bench`: compiles the suite (TypeScript, strict, like the rest of
// Cairn) with the repository's tsc, then runs it. Incremental, so a second start is quick.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
execFileSync(process.execPath, [tsc, "-p", benchDir], { stdio: "inherit" });
const { main } = await import("./dist/main.js");
process.exitCode = await main(process.argv.slice(2));
