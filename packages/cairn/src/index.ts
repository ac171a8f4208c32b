/** Cairn as a library: what `cairn run` uses, for programs that embed the engine. */
export { loadConfig, type CairnConfig } from "./config.js";
export * from "./errors.js";
export type { RunId, ExecutionId } from "./ids.js";
export * from "./spec/index.js";
export type * from "./store/store.js";
export { Engine, type StartRunRequest, type LogEvent } from "./engine/engine.js";
export { openCairn, type Cairn, type OpenOptions } from "./open-cairn.js";
