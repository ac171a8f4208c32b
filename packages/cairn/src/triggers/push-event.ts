import type { WebhookEvent, WebhookType } from "../store/webhook-store.js";
import { headerOf, type Headers } from "./webhook-signature.js";

/**
 * A delivery's event in one shape, whichever provider sent it. Read after the signature
 * held, from the fields the providers document: GitHub's and Gitea's push (`ref`, `after`,
 * `repository.clone_url`, `sender.login`, `head_commit.message`), GitLab's Push Hook and
 * Tag Push Hook (`ref`, `checkout_sha`, `project.git_http_url`, `user_username`,
 * `commits[].message`), and the generic one (`ref`, `commit`, `repository`,
 * `commit_message`, event in `X-Cairn-Event`).
 */

export interface PushFacts {
  event: WebhookEvent;
  /** As sent: `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
  /** The branch for a branch push, the tag for a tag push. */
  name: string;
  commit: string;
  repository: string;
  /** The provider's user who pushed; null for generic deliveries, which carry none that is checked. */
  pusher: string | null;
  commitMessage: string | null;
  /** The push deleted the branch or tag: there is no commit to run. */
  deleted: boolean;
}

export type ReadEvent =
  | { kind: "ping"; event: string }
  | { kind: "push"; event: string; push: PushFacts }
  | { kind: "other"; event: string }
  | { kind: "invalid"; event: string; reason: string };

const EVENT_HEADERS: Record<WebhookType, string> = { github: "x-github-event", gitea: "x-gitea-event", gitlab: "x-gitlab-event", generic: "x-cairn-event" };
const DELIVERY_HEADERS: Record<WebhookType, string> = { github: "x-github-delivery", gitea: "x-gitea-delivery", gitlab: "x-gitlab-event-uuid", generic: "x-cairn-delivery" };

/** The provider's id of this delivery, the same on a redelivery; null when it sent none. */
export function deliveryIdOf(type: WebhookType, headers: Headers): string | null {
  const id = headerOf(headers, DELIVERY_HEADERS[type]);
  return id === undefined || id === "" ? null : id.slice(0, 200);
}

/** The event's name as the provider sent it (`push`, `Push Hook`, `ping`...). */
export function eventNameOf(type: WebhookType, headers: Headers): string {
  return (headerOf(headers, EVENT_HEADERS[type]) ?? (type === "generic" ? "push" : "")).slice(0, 100);
}

export function readEvent(type: WebhookType, headers: Headers, body: unknown): ReadEvent {
  const event = eventNameOf(type, headers);
  if (event === "ping" || (type === "gitlab" && event === "Test Hook")) return { kind: "ping", event };
  const isPush = type === "gitlab" ? event === "Push Hook" || event === "Tag Push Hook" : event === "push";
  if (!isPush) return { kind: "other", event };
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { kind: "invalid", event, reason: "the body is not a JSON object" };
  const b = body as Record<string, unknown>;
  const ref = text(b.ref);
  if (ref === undefined) return { kind: "invalid", event, reason: "the body has no 'ref'" };
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  const name = branch ?? tag ?? ref;
  const pushEvent: WebhookEvent = tag !== undefined ? "tag_push" : "push";
  switch (type) {
    case "github":
    case "gitea": {
      const commit = text(b.after) ?? "";
      const head = record(b.head_commit);
      const commits = Array.isArray(b.commits) ? b.commits : [];
      const last = record(commits[commits.length - 1]);
      return {
        kind: "push",
        event,
        push: {
          event: pushEvent,
          ref,
          name,
          commit,
          repository: text(record(b.repository).clone_url) ?? text(record(b.repository).html_url) ?? "",
          pusher: text(record(b.sender).login) ?? null,
          commitMessage: text(head.message) ?? text(last.message) ?? null,
          deleted: b.deleted === true || /^0+$/.test(commit),
        },
      };
    }
    case "gitlab": {
      const commit = text(b.checkout_sha) ?? text(b.after) ?? "";
      const commits = Array.isArray(b.commits) ? b.commits.map(record) : [];
      const head = commits.find((c) => c.id === commit) ?? commits[commits.length - 1] ?? {};
      return {
        kind: "push",
        event,
        push: {
          event: pushEvent,
          ref,
          name,
          commit,
          repository: text(record(b.project).git_http_url) ?? text(record(b.repository).git_http_url) ?? "",
          pusher: text(b.user_username) ?? null,
          commitMessage: text(head.message) ?? null,
          deleted: commit === "" || /^0+$/.test(commit),
        },
      };
    }
    case "generic": {
      const commit = text(b.commit) ?? "";
      return {
        kind: "push",
        event,
        push: { event: pushEvent, ref, name, commit, repository: text(b.repository) ?? "", pusher: null, commitMessage: text(b.commit_message) ?? null, deleted: false },
      };
    }
  }
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
