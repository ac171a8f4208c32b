"use strict";
/**
 * The execution context of a Cairn function task: read inputs, write outputs, end the task.
 *
 *   import { getInput, setOutput, stdout } from "cairn-context";   // or require("cairn-context")
 *   setOutput("greeting", `hello ${getInput("name", "world")}`);
 *   stdout("done"); // ends the task successfully
 *
 * Inputs are files named after the input in $CAIRN_INPUTS_DIR (written by Cairn), with the
 * env var of the same name as a fallback; outputs are files in $CAIRN_OUTPUTS_DIR, which
 * Cairn collects after the task ends. CommonJS with no dependencies, so both require() and
 * ESM import work on any Node.js.
 */
const fs = require("node:fs");
const path = require("node:path");

const MISSING = Symbol("missing");

/** The value of input `name`: its file, else its env var, else `fallback`; throws without one. */
function getInput(name, fallback = MISSING) {
  const inputsDir = process.env.CAIRN_INPUTS_DIR;
  if (inputsDir) {
    const file = path.join(inputsDir, name);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return fs.readFileSync(file, "utf8");
  }
  if (Object.prototype.hasOwnProperty.call(process.env, name)) return process.env[name];
  if (fallback !== MISSING) return fallback;
  throw new Error(`input '${name}' was not given to this task (no file in CAIRN_INPUTS_DIR, no env var)`);
}

/** Writes output `name`. Strings are written as they are; anything else as JSON. */
function setOutput(name, value) {
  if (!name || name.includes("/") || name === "." || name === "..") {
    throw new Error(`output name '${name}' is not a plain file name`);
  }
  const outputsDir = process.env.CAIRN_OUTPUTS_DIR;
  if (!outputsDir) throw new Error("CAIRN_OUTPUTS_DIR is not set: is this running as a Cairn task?");
  fs.writeFileSync(path.join(outputsDir, name), typeof value === "string" ? value : JSON.stringify(value));
}

/** Prints `message` and ends the task successfully (exit code 0). */
function stdout(message) {
  // writeSync: process.exit() must not cut off output still queued on the stream.
  fs.writeSync(1, `${message}\n`);
  process.exit(0);
}

/** Prints `message` to stderr and ends the task with exit code `code` (a failure unless 0). */
function stderr(code, message) {
  fs.writeSync(2, `${message}\n`);
  process.exit(code);
}

// One object literal of names, so Node's ESM loader finds the named exports of this CommonJS file.
module.exports = { getInput, setOutput, stdout, stderr };
