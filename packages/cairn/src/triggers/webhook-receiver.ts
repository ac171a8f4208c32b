import { isCairnError } from "../errors.js";
import { parseDirectives } from "../spec/directives.js";
import type { IdentityRecord } from "../store/service-store.js";
import type { Store } from "../store/store.js";
import type { NewDelivery, WebhookRecord } from "../store/webhook-store.js";
import { matchesBranch } from "./branch-glob.js";
import { memberForPusher } from "./identity-mapping.js";
import { deliveryIdOf, eventNameOf, readEvent, type PushFacts } from "./push-event.js";
import { startTriggeredRun, type TriggeredRunDeps } from "./triggered-run.js";
import { verifySignature, type Headers } from "./webhook-signature.js";

/**
 * What Cairn does with one delivery to `POST /v3/workflows/webhooks/{uuid}`: check its
 * signature, read its event, keep to the webhook's events and branches, map the pusher to
 * a member, and start one run per delivery id. Every delivery to a webhook that exists is
 * recorded with its answer and reason, the refused ones first of all (GET .../deliveries).
 */

export interface ReceiverDeps extends TriggeredRunDeps {
  store: Pick<Store, "service" | "webhooks">;
  /** The webhook's secret, unsealed. */
  secretOf(webhook: WebhookRecord): string;
  /** An identity's credentials, unsealed. */
  credentialsOf(identity: IdentityRecord): Record<string, string>;
  now(): number;
}

export interface Reception {
  status: number;
  reason: string;
  runUuid: string | null;
}

export async function receiveDelivery(deps: ReceiverDeps, webhook: WebhookRecord, headers: Headers, rawBody: Buffer): Promise<Reception> {
  const base: Omit<NewDelivery, "status" | "reason" | "runUuid"> = {
    webhookUuid: webhook.uuid,
    receivedAt: deps.now(),
    deliveryId: deliveryIdOf(webhook.type, headers),
    event: eventNameOf(webhook.type, headers) || null,
  };
  const answer = async (status: number, reason: string, runUuid: string | null = null): Promise<Reception> => {
    await deps.store.webhooks.recordDelivery({ ...base, status, reason, runUuid });
    return { status, reason, runUuid };
  };

  const verdict = verifySignature(webhook.type, deps.secretOf(webhook), headers, rawBody);
  if (!verdict.ok) return answer(401, verdict.reason);

  const body = parseBody(headers, rawBody);
  if (body instanceof Error) return answer(400, body.message);
  const read = readEvent(webhook.type, headers, body);
  switch (read.kind) {
    case "ping":
      return answer(200, "pong: the webhook's secret is right");
    case "other":
      return answer(202, `'${read.event}' events start no run; this webhook starts runs on ${webhook.events.join(", ")}`);
    case "invalid":
      return answer(400, read.reason);
  }
  const push = read.push;
  if (!webhook.events.includes(push.event)) return answer(202, `a ${push.event} event starts no run; this webhook starts runs on ${webhook.events.join(", ")}`);
  if (push.deleted) return answer(202, `the push deleted '${push.name}': there is no commit to run`);
  if (push.event === "push" && !matchesBranch(webhook.branches, push.name)) {
    return answer(202, `branch '${push.name}' matches none of the webhook's branches (${webhook.branches.join(", ")})`);
  }

  let login: string;
  if (webhook.type === "generic") {
    // The generic sender names no user that could be checked: the signature is the creator's secret.
    login = webhook.createdBy;
  } else {
    if (push.pusher === null) return answer(403, "the delivery names no pusher");
    const mapped = await memberForPusher(
      { listMembers: (g) => deps.store.service.listMembers(g), listIdentities: (o) => deps.store.service.listIdentities(o), credentialsOf: deps.credentialsOf },
      webhook.groupId,
      webhook.type,
      push.pusher,
    );
    if ("refused" in mapped) return answer(403, mapped.refused);
    login = mapped.login;
  }
  if (!(await deps.store.service.getGroupAccess(webhook.groupId, login))) return answer(403, `'${login}' is no longer a member of group '${webhook.groupId}'`);

  let directives;
  try {
    directives = push.commitMessage === null ? {} : parseDirectives(push.commitMessage);
  } catch (err) {
    return answer(400, `the head commit's message: ${err instanceof Error ? err.message : String(err)}`);
  }

  const claim = await deps.store.webhooks.claimDelivery({ ...base, status: 202, reason: `starting a run as '${login}'`, runUuid: null });
  if (!claim.claimed) {
    const earlier = claim.earlier;
    const reason = earlier.runUuid !== null ? `delivery '${base.deliveryId}' was received before and started run ${earlier.runUuid}` : `delivery '${base.deliveryId}' is being handled already`;
    return answer(200, reason, earlier.runUuid);
  }
  try {
    const run = await startTriggeredRun(deps, { groupId: webhook.groupId, pipelineId: webhook.pipelineId, login, params: paramsOf(push, login), directives, trigger: "webhook" });
    const reason = `run started as '${login}'`;
    await deps.store.webhooks.settleDelivery(claim.id, { status: 201, reason, runUuid: run.uuid });
    return { status: 201, reason, runUuid: run.uuid };
  } catch (err) {
    const status = isCairnError(err) ? ({ forbidden: 403, not_found: 404, conflict: 409, invalid_input: 400 } as Record<string, number>)[err.code] ?? 500 : 500;
    const reason = `no run started: ${err instanceof Error ? err.message : String(err)}`;
    await deps.store.webhooks.settleDelivery(claim.id, { status, reason, runUuid: null });
    return { status, reason, runUuid: null };
  }
}

/** The params a push gives its run; a generic delivery names no pusher, so its run's user stands in. */
export function paramsOf(push: PushFacts, login: string): Record<string, string> {
  return { git_ref: push.ref, git_commit: push.commit, git_repository: push.repository, git_pusher: push.pusher ?? login };
}

/** JSON, or GitHub's form encoding (`payload=<JSON>`). */
function parseBody(headers: Headers, rawBody: Buffer): unknown {
  const type = String(headers["content-type"] ?? "");
  let text = rawBody.toString("utf8");
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) return new Error("a form-encoded delivery must have a 'payload' field");
    text = payload;
  }
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new Error("the body is not JSON");
  }
}
