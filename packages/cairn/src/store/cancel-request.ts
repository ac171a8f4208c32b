/**
 * A run's message while a cancel it was asked for is under way. The engine that runs the
 * run writes it as it starts stopping tasks; another process (`cairn cancel` of a local
 * run) writes it to ask that engine to, which watchCancelRequests sees; and recovery
 * finishes the cancel of a run left with it.
 */
export const CANCEL_REQUESTED = "cancel requested";
