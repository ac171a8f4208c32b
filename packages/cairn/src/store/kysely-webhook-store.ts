import type { Kysely } from "kysely";
import { changed, guarded } from "./group-scoped-rows.js";
import { NotFoundError } from "../errors.js";
import type { Database, WebhookDeliveriesTable, WebhooksTable } from "./schema.js";
import { KEPT_DELIVERIES, type DeliveryClaim, type DeliveryRecord, type NewDelivery, type WebhookEvent, type WebhookRecord, type WebhookStore, type WebhookType } from "./webhook-store.js";

/** The WebhookStore over the same Kysely instance as the run store. */
export class KyselyWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  createWebhook(webhook: WebhookRecord): Promise<void> {
    return changed("creating a webhook", () => this.db.insertInto("webhooks").values(webhookToRow(webhook)).execute());
  }

  async getWebhook(uuid: string): Promise<WebhookRecord | undefined> {
    const row = await guarded("reading a webhook", () => this.db.selectFrom("webhooks").selectAll().where("uuid", "=", uuid).executeTakeFirst());
    return row && webhookFromRow(row);
  }

  async listWebhooks(groupId: string, pipelineId: string): Promise<WebhookRecord[]> {
    const rows = await guarded("listing webhooks", () =>
      this.db.selectFrom("webhooks").selectAll().where("group_id", "=", groupId).where("pipeline_id", "=", pipelineId).orderBy("created_at").orderBy("uuid").execute(),
    );
    return rows.map(webhookFromRow);
  }

  deleteWebhook(groupId: string, pipelineId: string, uuid: string): Promise<void> {
    return guarded("deleting a webhook", async () => {
      const result = await this.db.deleteFrom("webhooks").where("uuid", "=", uuid).where("group_id", "=", groupId).where("pipeline_id", "=", pipelineId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("webhook", uuid);
    });
  }

  recordDelivery(delivery: NewDelivery): Promise<void> {
    return guarded("recording a webhook delivery", async () => {
      await this.db.insertInto("webhook_deliveries").values(deliveryToRow(delivery, null)).execute();
      await this.prune(delivery.webhookUuid);
    });
  }

  claimDelivery(delivery: NewDelivery): Promise<DeliveryClaim> {
    return guarded("claiming a webhook delivery", async () => {
      const inserted = await this.db
        .insertInto("webhook_deliveries")
        .values(deliveryToRow(delivery, delivery.deliveryId))
        .onConflict((oc) => oc.columns(["webhook_uuid", "accepted_delivery_id"]).doNothing())
        .returning("id")
        .executeTakeFirst();
      if (inserted) {
        await this.prune(delivery.webhookUuid);
        return { claimed: true, id: Number(inserted.id) };
      }
      const earlier = await this.db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("webhook_uuid", "=", delivery.webhookUuid)
        .where("accepted_delivery_id", "=", delivery.deliveryId)
        .executeTakeFirstOrThrow();
      return { claimed: false, earlier: deliveryFromRow(earlier) };
    });
  }

  settleDelivery(id: number, outcome: { status: number; reason: string; runUuid: string | null }): Promise<void> {
    return changed("recording what a webhook delivery started", () =>
      this.db
        .updateTable("webhook_deliveries")
        .set({
          status: outcome.status,
          reason: outcome.reason,
          run_uuid: outcome.runUuid,
          // No run: the id is free again, so the provider's redelivery can start one.
          ...(outcome.runUuid === null ? { accepted_delivery_id: null } : {}),
        })
        .where("id", "=", id)
        .execute(),
    );
  }

  async listDeliveries(webhookUuid: string, limit = KEPT_DELIVERIES): Promise<DeliveryRecord[]> {
    const rows = await guarded("listing webhook deliveries", () =>
      this.db.selectFrom("webhook_deliveries").selectAll().where("webhook_uuid", "=", webhookUuid).orderBy("id", "desc").limit(Math.min(limit, KEPT_DELIVERIES)).execute(),
    );
    return rows.map(deliveryFromRow);
  }

  /**
   * Keeps the last KEPT_DELIVERIES rows, and every accepted one older: those hold the
   * delivery ids that stop a replay, which a flood of forged deliveries must not push out.
   */
  private async prune(webhookUuid: string): Promise<void> {
    await this.db
      .deleteFrom("webhook_deliveries")
      .where("webhook_uuid", "=", webhookUuid)
      .where("accepted_delivery_id", "is", null)
      .where("id", "<=", (eb) =>
        eb.selectFrom("webhook_deliveries as d").select("d.id").where("d.webhook_uuid", "=", webhookUuid).orderBy("d.id", "desc").limit(1).offset(KEPT_DELIVERIES),
      )
      .execute();
  }

}

function webhookToRow(w: WebhookRecord): WebhooksTable {
  return {
    uuid: w.uuid,
    pipeline_uuid: w.pipelineUuid,
    group_id: w.groupId,
    pipeline_id: w.pipelineId,
    type: w.type,
    sealed_secret: w.sealedSecret,
    branches: JSON.stringify(w.branches),
    events: JSON.stringify(w.events),
    created_by: w.createdBy,
    created_at: w.createdAt,
  };
}

function webhookFromRow(r: WebhooksTable): WebhookRecord {
  return {
    uuid: r.uuid,
    pipelineUuid: r.pipeline_uuid,
    groupId: r.group_id,
    pipelineId: r.pipeline_id,
    type: r.type as WebhookType,
    sealedSecret: r.sealed_secret,
    branches: JSON.parse(r.branches) as string[],
    events: JSON.parse(r.events) as WebhookEvent[],
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

function deliveryToRow(d: NewDelivery, acceptedId: string | null): Omit<WebhookDeliveriesTable, "id"> {
  return {
    webhook_uuid: d.webhookUuid,
    received_at: d.receivedAt,
    delivery_id: d.deliveryId,
    event: d.event,
    status: d.status,
    reason: d.reason,
    run_uuid: d.runUuid,
    accepted_delivery_id: acceptedId,
  };
}

function deliveryFromRow(r: Omit<WebhookDeliveriesTable, "id"> & { id: number }): DeliveryRecord {
  return {
    id: Number(r.id),
    webhookUuid: r.webhook_uuid,
    receivedAt: Number(r.received_at),
    deliveryId: r.delivery_id,
    event: r.event,
    status: Number(r.status),
    reason: r.reason,
    runUuid: r.run_uuid,
  };
}
