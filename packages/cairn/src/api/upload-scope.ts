import multipart from "@fastify/multipart";
import type { ApiApp } from "./api-context.js";

const MULTIPART = "multipart/form-data";

/**
 * Marks a multipart body and leaves it unread, as @fastify/multipart's parser does: on
 * a route that takes no uploads, such a request then gets the same answer (its body
 * fails the route's schema, say) as when the plugin served every route.
 */
export function leaveMultipartUnread(app: ApiApp): void {
  app.addContentTypeParser(MULTIPART, (_request, _payload, done) => done(null));
}

/**
 * Registers the routes that read multipart uploads (api/event-upload.ts,
 * api/image-upload.ts) in a scope of their own with @fastify/multipart, whose request
 * hooks (a close listener on every answer, an async clean-up of saved files after it)
 * then run on those routes only, not on every request of the API. Awaited, so the
 * routes keep their place among their neighbours (and in the OpenAPI document).
 */
export async function withUploads(app: ApiApp, maxUploadBytes: number, routes: (uploads: ApiApp) => void): Promise<void> {
  await app.register(async (uploads) => {
    // The scope inherits the parser above; the plugin brings its own.
    uploads.removeContentTypeParser(MULTIPART);
    await uploads.register(multipart, { limits: { fileSize: maxUploadBytes } });
    routes(uploads);
  });
}
