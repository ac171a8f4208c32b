import { EgressRefused, type EgressPolicy } from "../net/egress-policy.js";

/**
 * A registry a pipeline names (a `registry` context or destination, a FROM image) is
 * reached by the container engine from the server's host, so it is checked by the egress
 * policy like any server-side fetch: `169.254.169.254` or `127.0.0.1:8080` as a registry
 * is refused unless allowed. The engine looks the name up again itself, which this check
 * cannot pin; it stops the addresses and names that are internal when the task runs.
 * A name that does not resolve is left to the engine, which says so in its own words.
 */
export async function checkRegistryEgress(egress: EgressPolicy, host: string, subject: string): Promise<void> {
  // `localhost/NAME` is how engines name local images; no registry is reached for them.
  if (host === "localhost") return;
  let url: URL;
  try {
    url = new URL(`https://${host}/`);
  } catch {
    return;
  }
  await egress.check(url.hostname, Number(url.port) || 443, subject).catch((err: unknown) => {
    if (err instanceof EgressRefused) throw err;
  });
}
