import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import { GroupScopedRows, guarded } from "./group-scoped-rows.js";
import type { Database, PipelinesTable } from "./schema.js";
import type { PipelineRecord, PipelineStore } from "./service-store.js";

/** A group's pipelines, by id. */
export function kyselyPipelineStore(db: Kysely<Database>): PipelineStore {
  const rows = new GroupScopedRows(db, { table: "pipelines", key: "id", noun: "pipeline", one: "a pipeline", many: "pipelines", toRow: pipelineToRow, fromRow: pipelineFromRow });
  return {
    createPipeline: (pipeline) => rows.create(pipeline),
    getPipeline: (groupId, id) => rows.get(groupId, id),
    listPipelines: (groupId) => rows.list(groupId),
    updatePipeline(groupId: string, id: string, definition: unknown, updatedAt: number, updatedBy: string): Promise<void> {
      return guarded("updating a pipeline", async () => {
        const result = await db
          .updateTable("pipelines")
          .set({ definition: JSON.stringify(definition), updated_at: updatedAt, updated_by: updatedBy })
          .where("group_id", "=", groupId)
          .where("id", "=", id)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("pipeline", id);
      });
    },

    deletePipeline: (groupId, id) => rows.delete(groupId, id),
  };
}

function pipelineToRow(p: PipelineRecord): PipelinesTable {
  return {
    uuid: p.uuid,
    group_id: p.groupId,
    id: p.id,
    owner: p.owner,
    definition: JSON.stringify(p.definition),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    updated_by: p.updatedBy,
  };
}

function pipelineFromRow(r: PipelinesTable): PipelineRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    definition: JSON.parse(r.definition) as unknown,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    updatedBy: r.updated_by ?? r.owner,
  };
}
