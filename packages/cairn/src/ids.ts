import { randomUUID } from "node:crypto";

/** Branded ids: a RunId cannot be passed where an ExecutionId is expected. */
export type RunId = string & { readonly __brand: "RunId" };
export type ExecutionId = string & { readonly __brand: "ExecutionId" };
export type TaskId = string & { readonly __brand: "TaskId" };

export const newRunId = (): RunId => randomUUID() as RunId;
export const newExecutionId = (): ExecutionId => randomUUID() as ExecutionId;
