import { engineCapabilities } from "../docker-api/engine-capabilities.js";

/**
 * A registry that answered an engine's HTTPS request in plain HTTP, and what the user can
 * do about it, which depends on who decides. Cairn tells Podman per pull, push and
 * FROM image (`tlsVerify`, for registries in CAIRN_INSECURE_REGISTRIES); Docker ignores
 * that and speaks plain HTTP only to the registries of its daemon's `insecure-registries`
 * (127.0.0.0/8 by default), a setting of the daemon's owner.
 *
 * Both engines word the answer the same (checked on Podman 4.3 and Docker 20.10):
 * `Get "https://HOST/v2/": http: server gave HTTP response to HTTPS client`.
 */

const PLAIN_HTTP_ANSWER = /https:\/\/([^/"\s]+)\/v2\/"?: http: server gave HTTP response to HTTPS client/;

/** The registry host the engine's message says answered in plain HTTP, if it says so. */
export function plainHttpRegistryIn(message: string): string | undefined {
  return PLAIN_HTTP_ANSWER.exec(message)?.[1];
}

/**
 * `subject` names the registry in context ("the registry H", "the registry H of a FROM
 * image"); `listed` says whether H is in CAIRN_INSECURE_REGISTRIES.
 */
export function plainHttpAdvice(subject: string, host: string, engine: { name: string }, listed: boolean): string {
  if (engineCapabilities(engine.name).daemonInsecureRegistries) {
    return `${subject} speaks plain HTTP, and ${engine.name} speaks plain HTTP only to the registries of its daemon's insecure-registries setting (127.0.0.0/8 by default): add ${host} there${listed ? "" : ", and to CAIRN_INSECURE_REGISTRIES"}`;
  }
  if (!listed) return `${subject} speaks plain HTTP; list it in CAIRN_INSECURE_REGISTRIES to allow that`;
  return `${subject} speaks plain HTTP and is in CAIRN_INSECURE_REGISTRIES, but Cairn could not read the FROM line naming it before the build (an ARG without a value?), so its image was not pulled over plain HTTP first`;
}
