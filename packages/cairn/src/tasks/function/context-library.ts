import { fileURLToPath } from "node:url";

/**
 * The execution-context libraries (`cairn_context` for Python, `cairn-context` for Node),
 * shipped as plain files in the package's `context/` folder. The same relative path
 * works from `src/` (tests) and from `dist/` (the built package).
 */
export const CONTEXT_LIBRARY_DIR = fileURLToPath(new URL("../../../context", import.meta.url));

/** Where the libraries are mounted in a function's container. */
export const CONTAINER_LIBRARY_DIR = "/cairn/lib";
