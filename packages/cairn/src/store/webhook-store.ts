/**
 * Webhooks of pipelines and what became of each delivery (issue 17). Operations only,
 * like Store; a webhook's secret arrives sealed and leaves sealed.
 */

export type WebhookType = "github" | "gitlab" | "gitea" | "generic";
export type WebhookEvent = "push" | "tag_push";

export interface WebhookRecord {
  uuid: string;
  /** The pipeline row it belongs to: deleting the pipeline deletes it. */
  pipelineUuid: string;
  groupId: string;
  pipelineId: string;
  type: WebhookType;
  sealedSecret: string;
  /** Glob patterns of branch names; empty: every branch. */
  branches: string[];
  events: WebhookEvent[];
  createdBy: string;
  createdAt: number;
}

export interface DeliveryRecord {
  id: number;
  webhookUuid: string;
  receivedAt: number;
  /** The provider's id of the delivery (`X-GitHub-Delivery`...), when it sent one. */
  deliveryId: string | null;
  event: string | null;
  /** The HTTP status it was answered with. */
  status: number;
  reason: string;
  runUuid: string | null;
}

export type NewDelivery = Omit<DeliveryRecord, "id">;

/** What claimDelivery found: the delivery is this one's to start, or an earlier one with the same id had it. */
export type DeliveryClaim = { claimed: true; id: number } | { claimed: false; earlier: DeliveryRecord };

export interface WebhookStore {
  createWebhook(webhook: WebhookRecord): Promise<void>;
  getWebhook(uuid: string): Promise<WebhookRecord | undefined>;
  listWebhooks(groupId: string, pipelineId: string): Promise<WebhookRecord[]>;
  /** `not_found` when the pipeline has no such webhook. */
  deleteWebhook(groupId: string, pipelineId: string, uuid: string): Promise<void>;

  /** Records a delivery that starts nothing (refused, ignored, a ping); keeps the last deliveries only. */
  recordDelivery(delivery: NewDelivery): Promise<void>;
  /**
   * Records a verified delivery that is to start a run. With a delivery id, only the first
   * delivery of that id per webhook claims it, also across processes (a unique index): a
   * later one gets the earlier record, and is not recorded.
   */
  claimDelivery(delivery: NewDelivery & { deliveryId: string | null }): Promise<DeliveryClaim>;
  /** What the claimed delivery came to: the run it started, or why none. A failure frees its id for a redelivery. */
  settleDelivery(id: number, outcome: { status: number; reason: string; runUuid: string | null }): Promise<void>;
  /** The latest `limit` (at most 100) deliveries, newest first. */
  listDeliveries(webhookUuid: string, limit?: number): Promise<DeliveryRecord[]>;
}

/** How many deliveries per webhook are kept (besides the accepted ones, whose ids guard against replays). */
export const KEPT_DELIVERIES = 100;
