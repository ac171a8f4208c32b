export * from "./types.js";
export { validatePipeline, parsePipeline, type ValidationResult } from "./validate.js";
// What parsePipeline throws, so `cairn/spec` users (the SDK) can catch it without importing the engine.
export { ValidationError, type Issue } from "../errors.js";
export { parsePipelineText } from "./parse-text.js";
export { resolveExecutionProfile, usesHostRuntime } from "./execution-profile.js";
export { taskOrder, ancestorsOf, findCycle, type GraphNode } from "./dag.js";
export { parseDirectives, validateDirectives, type Directives } from "./directives.js";
export { parseMemory } from "./parse-memory.js";
export { pipelineSchema, taskSchema, executionProfileSchema, TASK_TYPES, HTTP_METHODS } from "./schema.js";
export { resolveParams, describeParams } from "./params.js";
