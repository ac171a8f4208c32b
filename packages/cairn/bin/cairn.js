#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

const code = await main(process.argv.slice(2));
// Leave even if a client library keeps a socket open (the container engine's keep-alive agent).
process.stdout.write("", () => process.exit(code));
