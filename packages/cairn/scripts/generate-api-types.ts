/**
 * Writes src/client/openapi-types.ts: TypeScript types of every path of the API, made
 * by openapi-typescript from the OpenAPI document the server serves (which comes from the
 * zod schemas the routes validate with). Run `npm run generate:api-types` after changing
 * a route; a unit test (src/client/openapi-types.test.ts) fails while the file is stale.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import { openApiDocument } from "../src/api/openapi-document.js";

export const API_TYPES_FILE = fileURLToPath(new URL("../src/client/openapi-types.ts", import.meta.url));

const HEADER = `/**
 * The Cairn API's paths, parameters, bodies and answers, generated from its OpenAPI
 * document by packages/cairn/scripts/generate-api-types.ts. Do not edit: run
 * \`npm run generate:api-types\` instead.
 */

`;

export async function renderApiTypes(): Promise<string> {
  const document = (await openApiDocument()) as unknown as OpenAPI3;
  // silent: the document is ours; its lint warnings (no operationId, ...) are not news.
  const nodes = await openapiTS(document, { silent: true, alphabetize: true });
  return HEADER + astToString(nodes);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(API_TYPES_FILE, await renderApiTypes());
  process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
}
