import type { Kysely, Migration } from "kysely";

/**
 * Image namespaces (issue 21, finding 2): which group made an image it may keep to
 * itself, and the groups it shared such an image with. `owned` is 1 on a group's record
 * of an image that group built, or pulled with credentials, and that the engine held
 * under no other group's or the operator's name before: other groups may run it only
 * once an admin of an owning group shares it. Images no group owns (the operator's,
 * public pulls, sightings) stay free to run.
 */
export function imageNamespaces(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("images").addColumn("owned", "integer", (c) => c.notNull().defaultTo(0)).execute();
      // "Which groups own this image", asked before every container an image is run in.
      await db.schema.createIndex("images_digest_owned").on("images").columns(["digest", "owned"]).execute();

      await db.schema
        .createTable("image_shares")
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("digest", "text", (c) => c.notNull())
        .addColumn("shared_with", "text", (c) => c.notNull().references("groups.id").onDelete("cascade"))
        .addColumn("shared_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("image_shares_pk", ["group_id", "digest", "shared_with"])
        .addForeignKeyConstraint("image_shares_image", ["group_id", "digest"], "images", ["group_id", "digest"], (fk) => fk.onDelete("cascade"))
        .execute();
      await db.schema.createIndex("image_shares_with").on("image_shares").columns(["shared_with", "digest"]).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable("image_shares").execute();
      await db.schema.dropIndex("images_digest_owned").execute();
      await db.schema.alterTable("images").dropColumn("owned").execute();
    },
  };
}
