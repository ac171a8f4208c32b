import type { CairnConfig } from "../../config.js";
import type { FunctionLanguage } from "./function-family.js";

/**
 * The image a function runs in. A bare runtime (`python3`, `node`, `bash`) takes its
 * family's image (CAIRN_FUNCTION_IMAGE_PYTHON, ...). A versioned one takes the image
 * configured for that version (CAIRN_FUNCTION_IMAGES, `python3.9=IMAGE,node18=IMAGE`), else
 * the official image of that version (`python:3.9-slim`, `node:18-slim`), pulled like any
 * task's image, so that `python3.9` never quietly runs in the family's Python 3.12.
 */
export function functionImageFor(config: Pick<CairnConfig, "functionImages" | "functionVersionImages">, language: Pick<FunctionLanguage, "family" | "runtime" | "version">): string {
  const configured = config.functionVersionImages[language.runtime];
  if (configured !== undefined) return configured;
  if (language.version === undefined) return config.functionImages[language.family];
  return language.family === "python" ? `docker.io/library/python:${language.version}-slim` : `docker.io/library/node:${language.version}-slim`;
}
