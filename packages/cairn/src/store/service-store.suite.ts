import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newExecutionId, newRunId } from "../ids.js";
import type { ActorRecord, AppRecord, ArchiveRecord, GroupRecord, MemberRecord, PipelineRecord, RunArchiveRecord, SystemRecord, UserRecord } from "./service-store.js";
import type { Store } from "./store.js";

/** The ServiceStore's behaviour, run once per database like describeStoreSuite. */
export function describeServiceStoreSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`ServiceStore on ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it("keeps users and confirms them", async () => {
      const user: UserRecord = {
        login: "ada",
        email: "ada@example.org",
        passwordHash: "scrypt$x",
        confirmed: false,
        confirmationCode: "code-1",
        isAdmin: false,
        createdAt: 1_700_000_000_000,
      };
      await store.service.createUser(user);
      expect(await store.service.getUser("ada")).toEqual(user);
      await expect(store.service.createUser(user)).rejects.toMatchObject({ code: "conflict" });
      await store.service.confirmUser("ada");
      expect(await store.service.getUser("ada")).toMatchObject({ confirmed: true, confirmationCode: null });
      await expect(store.service.confirmUser("nobody")).rejects.toMatchObject({ code: "not_found" });
      expect(await store.service.countUsers()).toBe(1);
    });

    it("keeps logins unique whatever their case, finds them in any case, and one account per email", async () => {
      const user = (login: string, email: string): UserRecord => ({ login, email, passwordHash: "h", confirmed: true, confirmationCode: null, isAdmin: false, createdAt: 1 });
      await store.service.createUser(user("alice", "Alice@Example.org"));
      await expect(store.service.createUser(user("Alice", "other@example.org"))).rejects.toMatchObject({ code: "conflict" });
      await expect(store.service.createUser(user("bob", "alice@EXAMPLE.org"))).rejects.toMatchObject({ code: "conflict" });
      expect((await store.service.getUser("ALICE"))?.login).toBe("alice");
      expect((await store.service.getUser("alice"))?.login).toBe("alice");
      expect(await store.service.getUser("alic")).toBeUndefined();
      await store.service.createUser(user("bob", "bob@example.org"));
      expect(await store.service.countUsers()).toBe(2);
    });

    it("creates a group with its members atomically, and refuses a taken id", async () => {
      const g = group("lab");
      await store.service.createGroup(g, [member("lab", "ada", "owner"), member("lab", "bob", "admin")]);
      // No cap on its tasks until an admin sets one.
      expect(await store.service.getGroup("lab")).toEqual({ ...g, maxParallelTasks: null });
      expect((await store.service.listMembers("lab")).map((m) => [m.username, m.role])).toEqual([
        ["ada", "owner"],
        ["bob", "admin"],
      ]);
      await expect(store.service.createGroup(group("lab"), [member("lab", "eve", "owner")])).rejects.toMatchObject({ code: "conflict" });
      // The failed create left nothing behind.
      expect(await store.service.getMember("lab", "eve")).toBeUndefined();
      expect((await store.service.listGroupsOf("bob")).map((x) => x.id)).toEqual(["lab"]);
      expect(await store.service.listGroupsOf("eve")).toEqual([]);
    });

    it("sets and removes a group's max_parallel_tasks", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      await store.service.setGroupMaxParallelTasks("lab", 3);
      expect((await store.service.getGroup("lab"))?.maxParallelTasks).toBe(3);
      expect((await store.service.listGroupsOf("ada"))[0]?.maxParallelTasks).toBe(3);
      await store.service.setGroupMaxParallelTasks("lab", null);
      expect((await store.service.getGroup("lab"))?.maxParallelTasks).toBeNull();
      await expect(store.service.setGroupMaxParallelTasks("nope", 1)).rejects.toMatchObject({ code: "not_found" });
    });

    it("adds, re-roles and removes members", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      await store.service.addMember(member("lab", "cy", "member"));
      await expect(store.service.addMember(member("lab", "cy", "member"))).rejects.toMatchObject({ code: "conflict" });
      await store.service.setMemberRole("lab", "cy", "admin");
      expect(await store.service.getMember("lab", "cy")).toMatchObject({ role: "admin" });
      await store.service.removeMember("lab", "cy");
      expect(await store.service.getMember("lab", "cy")).toBeUndefined();
      await expect(store.service.removeMember("lab", "cy")).rejects.toMatchObject({ code: "not_found" });
    });

    it("stores, updates and deletes pipelines per group", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      const p = pipeline("lab", "hello");
      await store.service.createPipeline(p);
      expect(await store.service.getPipeline("lab", "hello")).toEqual(p);
      await expect(store.service.createPipeline(pipeline("lab", "hello"))).rejects.toMatchObject({ code: "conflict" });
      await store.service.updatePipeline("lab", "hello", { id: "hello", tasks: [] }, p.updatedAt + 5, "cy");
      expect(await store.service.getPipeline("lab", "hello")).toMatchObject({ definition: { id: "hello", tasks: [] }, updatedAt: p.updatedAt + 5, updatedBy: "cy", owner: "ada" });
      expect((await store.service.listPipelines("lab")).map((x) => x.id)).toEqual(["hello"]);
      await store.service.deletePipeline("lab", "hello");
      expect(await store.service.getPipeline("lab", "hello")).toBeUndefined();
      await expect(store.service.deletePipeline("lab", "hello")).rejects.toMatchObject({ code: "not_found" });
    });

    it("keeps Kabuto jobs in the order added, submits each once, and deletes them with their pipeline", async () => {
      await store.service.createGroup(group("~ada"), [member("~ada", "ada", "owner")]);
      await store.service.createPipeline(pipeline("~ada", "p1"));
      const job = (uuid: string) => ({ uuid, groupId: "~ada", pipelineId: "p1", command: "echo hi", imageDigest: `sha256:${"a".repeat(64)}`, hasAttachments: uuid === "j2", createdAt: 5 });
      expect(await store.service.addKabutoJob(job("j2"))).toMatchObject({ position: 1, runUuid: null, hasAttachments: true });
      expect((await store.service.addKabutoJob(job("j1"))).position).toBe(2);
      expect(await store.service.getKabutoJob("j1")).toEqual({ ...job("j1"), position: 2, runUuid: null });
      expect((await store.service.listKabutoJobs("~ada", "p1")).map((j) => j.uuid)).toEqual(["j2", "j1"]);
      expect(await store.service.markKabutoJobsSubmitted(["j2"], "run-1")).toBe(1);
      // Taken already: a second submit does not move it to another run.
      expect(await store.service.markKabutoJobsSubmitted(["j2", "j1"], "run-2")).toBe(1);
      expect((await store.service.listKabutoJobs("~ada", "p1")).map((j) => j.runUuid)).toEqual(["run-1", "run-2"]);
      await expect(store.service.addKabutoJob({ ...job("j3"), pipelineId: "nope" })).rejects.toBeDefined();
      await store.service.deletePipeline("~ada", "p1");
      expect(await store.service.getKabutoJob("j1")).toBeUndefined();
    });

    it("keeps actors, queues their messages in order, starts no more than max_workers, and ends each once", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      const a = actor("lab", "echo", 2);
      await store.service.createActor(a);
      await expect(store.service.createActor(a)).rejects.toMatchObject({ code: "conflict" });
      expect(await store.service.getActor("lab", "echo")).toEqual(a);
      await store.service.updateActor({ ...a, image: "busybox:2", command: null, defaultEnvironment: {}, maxWorkers: 1, updatedAt: 20 });
      expect(await store.service.getActor("lab", "echo")).toMatchObject({ image: "busybox:2", command: null, maxWorkers: 1, updatedAt: 20, createdAt: 10 });
      await expect(store.service.updateActor({ ...a, id: "nope" })).rejects.toMatchObject({ code: "not_found" });
      await store.service.createActor(actor("lab", "other", 1));
      expect((await store.service.listActors("lab")).map((x) => x.id)).toEqual(["echo", "other"]);

      const send = (actorId: string, uuid: string, at: number, task: string | null = null) =>
        store.service.addActorExecution({ uuid, groupId: "lab", actorId, message: `m-${uuid}`, createdAt: at, taskExecutionUuid: task });
      expect(await send("echo", "e1", 1)).toMatchObject({ position: 1, status: "SUBMITTED", exitCode: null, startedAt: null });
      expect((await send("echo", "e2", 2)).position).toBe(2);
      await send("echo", "e3", 3);
      await send("other", "o1", 4, "task-exec-1");
      await expect(send("nope", "x1", 5)).rejects.toBeDefined();
      expect((await store.service.getActorExecutionOfTask("task-exec-1"))?.uuid).toBe("o1");
      expect(await store.service.getActorExecutionOfTask("task-exec-2")).toBeUndefined();

      // max_workers is 1 now: the first of each actor's queue.
      expect((await store.service.actorExecutionsToStart()).map((e) => e.uuid)).toEqual(["e1", "o1"]);
      expect(await store.service.claimActorExecution("e1", "me", 100, 1_000)).toBe(true);
      expect(await store.service.claimActorExecution("e1", "me", 100, 1_000)).toBe(false);
      expect((await store.service.actorExecutionsToStart()).map((e) => e.uuid)).toEqual(["o1"]);
      await store.service.updateActor({ ...a, maxWorkers: 2, updatedAt: 30 });
      expect((await store.service.actorExecutionsToStart()).map((e) => e.uuid)).toEqual(["e2", "o1"]);

      expect(await store.service.finishActorExecution("e1", { status: "COMPLETED", exitCode: 0, error: null, endedAt: 200 })).toBe(true);
      expect(await store.service.finishActorExecution("e1", { status: "ERROR", exitCode: null, error: "late", endedAt: 300 })).toBe(false);
      expect(await store.service.getActorExecution("e1")).toMatchObject({ status: "COMPLETED", exitCode: 0, startedAt: 100, endedAt: 200, error: null });

      // A lapsed lease: its holder died. A renewed one is kept.
      await store.service.claimActorExecution("e2", "dead", 300, 400);
      await store.service.claimActorExecution("e3", "alive", 300, 400);
      await store.service.renewActorExecutionLeases("alive", ["e3"], 10_000);
      expect((await store.service.failLapsedActorExecutions(500, "lost")).map((e) => e.uuid)).toEqual(["e2"]);
      expect(await store.service.getActorExecution("e2")).toMatchObject({ status: "ERROR", error: "lost", endedAt: 500 });
      expect(await store.service.getActorExecution("e3")).toMatchObject({ status: "RUNNING" });
      expect((await store.service.listActorExecutions("lab", "echo")).map((e) => [e.uuid, e.status])).toEqual([
        ["e1", "COMPLETED"],
        ["e2", "ERROR"],
        ["e3", "RUNNING"],
      ]);

      await store.service.deleteActor("lab", "echo");
      expect(await store.service.getActor("lab", "echo")).toBeUndefined();
      expect(await store.service.getActorExecution("e3")).toBeUndefined();
      await expect(store.service.deleteActor("lab", "echo")).rejects.toMatchObject({ code: "not_found" });
      await store.service.deleteGroup("lab");
      expect(await store.service.getActorExecution("o1")).toBeUndefined();
    });

    it("deletes a group with everything it owns, its runs included", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      await store.service.createGroup(group("other"), [member("other", "ada", "owner")]);
      await store.service.createPipeline(pipeline("lab", "hello"));
      await store.service.putSecret({ groupId: "lab", name: "TOKEN", sealedValue: "v1.x", createdAt: 1, updatedAt: 1, allowedPipelines: ["*"] });
      const labRun = newRunId();
      const otherRun = newRunId();
      const run = (uuid: typeof labRun, groupId: string) => ({
        uuid,
        pipelineId: "hello",
        groupId,
        status: "succeeded" as const,
        pipeline: {},
        params: {},
        directives: {},
        createdAt: 1,
        startedAt: 1,
        endedAt: 2,
        message: null,
        startedBy: null,
      });
      const exec = newExecutionId();
      await store.commit({
        newRuns: [run(labRun, "lab"), run(otherRun, "other")],
        newExecutions: [
          { uuid: exec, runUuid: labRun, taskId: "a", attempt: 1, status: "succeeded", createdAt: 1, notBefore: null, startedAt: 1, endedAt: 2, exitCode: 0, message: null, outputs: {}, runtimeHandle: null },
        ],
        logs: [{ executionUuid: exec, stream: "stdout", ts: 1, line: "hi" }],
      });
      await store.service.deleteGroup("lab");
      expect(await store.service.getGroup("lab")).toBeUndefined();
      expect(await store.service.listMembers("lab")).toEqual([]);
      expect(await store.service.getPipeline("lab", "hello")).toBeUndefined();
      expect(await store.service.listSecrets("lab")).toEqual([]);
      expect(await store.getRun(labRun)).toBeUndefined();
      expect(await store.readLogs(exec)).toEqual([]);
      expect(await store.getRun(otherRun)).toBeDefined();
      await expect(store.service.deleteGroup("lab")).rejects.toMatchObject({ code: "not_found" });
    });

    it("keeps identities per owner", async () => {
      const identity = {
        uuid: randomUUID(),
        owner: "ada",
        type: "github",
        name: "gh",
        description: null,
        host: null,
        sealedCredentials: "v1.sealed",
        createdAt: 5,
      };
      await store.service.createIdentity(identity);
      expect(await store.service.getIdentity(identity.uuid)).toEqual(identity);
      expect(await store.service.listIdentities("ada")).toEqual([identity]);
      expect(await store.service.listIdentities("bob")).toEqual([]);
      await store.service.deleteIdentity(identity.uuid);
      await expect(store.service.deleteIdentity(identity.uuid)).rejects.toMatchObject({ code: "not_found" });
    });

    it("creates and replaces secrets", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      await store.service.putSecret({ groupId: "lab", name: "K", sealedValue: "one", createdAt: 1, updatedAt: 1, allowedPipelines: ["*"] });
      await store.service.putSecret({ groupId: "lab", name: "K", sealedValue: "two", createdAt: 9, updatedAt: 9, allowedPipelines: ["*", "p-uuid"] });
      expect(await store.service.getSecret("lab", "K")).toEqual({ groupId: "lab", name: "K", sealedValue: "two", createdAt: 1, updatedAt: 9, allowedPipelines: ["*", "p-uuid"] });
      expect(await store.service.listSecrets("lab")).toEqual([{ groupId: "lab", name: "K", sealedValue: "two", createdAt: 1, updatedAt: 9, allowedPipelines: ["*", "p-uuid"] }]);
      await store.service.deleteSecret("lab", "K");
      expect(await store.service.getSecret("lab", "K")).toBeUndefined();
    });

    it("keeps systems, archives and each run's archiving outcome; all go with their group", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      const local: SystemRecord = { uuid: randomUUID(), groupId: "lab", id: "disk", owner: "ada", description: null, settings: { type: "local", rootDir: "lab" }, createdAt: 3 };
      const ssh: SystemRecord = {
        uuid: randomUUID(),
        groupId: "lab",
        id: "cluster",
        owner: "ada",
        description: "login node",
        settings: { type: "ssh", host: "127.0.0.1", port: 2222, rootDir: "/data", identityUuid: randomUUID() },
        createdAt: 4,
      };
      await store.service.createSystem(local);
      await store.service.createSystem(ssh);
      await expect(store.service.createSystem(local)).rejects.toMatchObject({ code: "conflict" });
      expect(await store.service.getSystem("lab", "cluster")).toEqual(ssh);
      expect(await store.service.listSystems("lab")).toEqual([ssh, local]);
      const archive: ArchiveRecord = { uuid: randomUUID(), groupId: "lab", id: "keep", owner: "ada", settings: { type: "system", systemId: "disk", archiveDir: "/a/" }, createdAt: 5 };
      await store.service.createArchive(archive);
      await expect(store.service.createArchive(archive)).rejects.toMatchObject({ code: "conflict" });
      expect(await store.service.getArchive("lab", "keep")).toEqual(archive);
      expect(await store.service.listArchives("lab")).toEqual([archive]);

      const runUuid = newRunId();
      await store.commit({
        newRuns: [{ uuid: runUuid, pipelineId: "p", groupId: "lab", status: "succeeded", pipeline: {}, params: {}, directives: {}, createdAt: 1, startedAt: 1, endedAt: 2, message: null, startedBy: null }],
      });
      const pending: RunArchiveRecord = { runUuid, archiveId: "keep", status: "pending", attempts: 0, message: null, location: null, updatedAt: 6 };
      await store.service.putRunArchive(pending);
      expect(await store.service.listPendingRunArchives()).toEqual([pending]);
      const done: RunArchiveRecord = { ...pending, status: "done", attempts: 1, location: "file:///x", updatedAt: 7 };
      await store.service.putRunArchive(done);
      expect(await store.service.listRunArchives(runUuid)).toEqual([done]);
      expect(await store.service.listPendingRunArchives()).toEqual([]);

      await store.service.deleteArchive("lab", "keep");
      await expect(store.service.deleteArchive("lab", "keep")).rejects.toMatchObject({ code: "not_found" });
      await store.service.deleteSystem("lab", "disk");
      await store.service.deleteGroup("lab");
      expect(await store.service.listSystems("lab")).toEqual([]);
      expect(await store.service.listRunArchives(runUuid)).toEqual([]);
    });

    it("keeps slurm systems and app versions; a used version is kept, the latest is found by id", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      const slurm: SystemRecord = {
        uuid: randomUUID(),
        groupId: "lab",
        id: "hpc",
        owner: "ada",
        description: null,
        settings: { type: "slurm", host: "localhost", port: null, identityUuid: null, rootDir: "/scratch", partition: "debug", containerRuntime: "podman", schedulerOptions: ["--account=lab"] },
        createdAt: 1,
      };
      await store.service.createSystem(slurm);
      expect(await store.service.getSystem("lab", "hpc")).toEqual(slurm);
      const attributes = { execSystemId: "hpc", nodeCount: 1, coresPerNode: null, memoryMb: null, maxMinutes: 5, appArgs: ["-v"], envVariables: [{ key: "A", value: "1" }], schedulerOptions: [], fileInputs: [] };
      const app = (version: string, createdAt: number): AppRecord => ({
        uuid: randomUUID(),
        groupId: "lab",
        id: "hello",
        version,
        owner: "ada",
        description: "says hello",
        definition: { containerImage: null, command: ["echo", "hi"], jobType: "BATCH", jobAttributes: attributes },
        createdAt,
        usedAt: null,
      });
      const v1 = app("1", 2);
      const v2 = app("2", 3);
      await store.service.createApp(v1);
      await store.service.createApp(v2);
      await expect(store.service.createApp(v1)).rejects.toMatchObject({ code: "conflict" });
      expect(await store.service.getApp("lab", "hello", "1")).toEqual(v1);
      expect(await store.service.getApp("lab", "hello")).toEqual(v2);
      expect(await store.service.getApp("lab", "nope")).toBeUndefined();
      expect(await store.service.listApps("lab")).toEqual([v1, v2]);
      await store.service.markAppUsed("lab", "hello", "1", 10);
      await store.service.markAppUsed("lab", "hello", "1", 20);
      expect((await store.service.getApp("lab", "hello", "1"))?.usedAt).toBe(10);
      await expect(store.service.deleteApp("lab", "hello", "1")).rejects.toMatchObject({ code: "conflict" });
      await store.service.deleteApp("lab", "hello", "2");
      await expect(store.service.deleteApp("lab", "hello", "2")).rejects.toMatchObject({ code: "not_found" });
      await store.service.deleteGroup("lab");
      expect(await store.service.listApps("lab")).toEqual([]);
    });

    it("keeps s3 systems and S3 archives, also one holding its own bucket", async () => {
      await store.service.createGroup(group("lab"), [member("lab", "ada", "owner")]);
      const location = { endpoint: "http://127.0.0.1:9000", bucket: "results", region: "us-east-1", rootDir: "lab", identityUuid: randomUUID() };
      const bucket: SystemRecord = { uuid: randomUUID(), groupId: "lab", id: "bucket", owner: "ada", description: null, settings: { type: "s3", ...location }, createdAt: 3 };
      await store.service.createSystem(bucket);
      expect(await store.service.getSystem("lab", "bucket")).toEqual(bucket);
      const onSystem: ArchiveRecord = { uuid: randomUUID(), groupId: "lab", id: "a", owner: "ada", settings: { type: "S3", systemId: "bucket", archiveDir: "runs" }, createdAt: 4 };
      const own: ArchiveRecord = { uuid: randomUUID(), groupId: "lab", id: "b", owner: "ada", settings: { type: "S3", systemId: null, archiveDir: "", location: { ...location, rootDir: "" } }, createdAt: 5 };
      await store.service.createArchive(onSystem);
      await store.service.createArchive(own);
      expect(await store.service.listArchives("lab")).toEqual([onSystem, own]);
    });

    it("remembers revoked tokens until they expire", async () => {
      const later = Date.now() + 60_000;
      await store.service.revokeToken("jti-1", later);
      await store.service.revokeToken("jti-1", later);
      expect(await store.service.isTokenRevoked("jti-1")).toBe(true);
      expect(await store.service.isTokenRevoked("jti-2")).toBe(false);
    });

    it("reads a token's standing, a membership and a run in one query each, and sees every change at once", async () => {
      const user = (login: string, isAdmin: boolean): UserRecord => ({ login, email: `${login}@x`, passwordHash: "h", confirmed: true, confirmationCode: null, isAdmin, createdAt: 1 });
      await store.service.createUser(user("ada", false));
      await store.service.createUser(user("root", true));
      const lab = group("lab");
      await store.service.createGroup(lab, [member("lab", "ada", "owner")]);
      await store.service.createGroup(group("other"), [member("other", "ada", "owner")]);
      const labRun = newRunId();
      const otherRun = newRunId();
      const run = (uuid: typeof labRun, groupId: string, status: "running" | "succeeded") => ({
        uuid,
        pipelineId: "hello",
        groupId,
        status,
        pipeline: { id: "hello", tasks: [] },
        params: { name: "x" },
        directives: { cache: true as const },
        createdAt: 1,
        startedAt: 2,
        endedAt: null,
        message: null,
        startedBy: "ada",
      });
      await store.commit({ newRuns: [run(labRun, "lab", "running"), run(otherRun, "other", "succeeded")] });
      const session = { jti: "jti-s", login: "ada", runUuid: undefined };

      expect(await store.service.getTokenStanding(session)).toEqual({ revoked: false, user: { login: "ada", isAdmin: false }, runStatus: undefined });
      expect(await store.service.getTokenStanding({ jti: "jti-r", login: "root", runUuid: labRun })).toEqual({ revoked: false, user: { login: "root", isAdmin: true }, runStatus: "running" });
      expect(await store.service.getTokenStanding({ jti: "jti-x", login: "nobody", runUuid: newRunId() })).toEqual({ revoked: false, user: undefined, runStatus: undefined });
      await store.service.revokeToken("jti-s", Date.now() + 60_000);
      expect((await store.service.getTokenStanding(session)).revoked).toBe(true);

      const access = await store.service.getGroupAccess("lab", "ada");
      expect(access).toEqual({ group: lab, member: await store.service.getMember("lab", "ada") });
      expect(await store.service.getGroupAccess("lab", "root")).toBeUndefined();
      expect(await store.service.getGroupAccess("nope", "ada")).toBeUndefined();

      const { pipeline: frozen, ...summary } = run(labRun, "lab", "running");
      expect(await store.getGroupAccessWithRun("lab", "ada", labRun)).toEqual({ ...access, run: { ...summary, pipeline: frozen } });
      // A run of another group is as absent as one that does not exist.
      expect(await store.getGroupAccessWithRun("lab", "ada", otherRun)).toEqual({ ...access, run: undefined });
      expect(await store.getGroupAccessWithRun("lab", "root", labRun)).toBeUndefined();

      expect(await store.getTokenRunAccess(session, "lab", labRun)).toEqual({
        standing: { revoked: true, user: { login: "ada", isAdmin: false }, runStatus: undefined },
        access,
        run: summary,
      });
      expect(await store.getTokenRunAccess({ ...session, jti: "jti-t", runUuid: otherRun }, "lab", otherRun)).toEqual({
        standing: { revoked: false, user: { login: "ada", isAdmin: false }, runStatus: "succeeded" },
        access,
        run: undefined,
      });
      expect(await store.getTokenRunAccess({ jti: "jti-x", login: "nobody", runUuid: undefined }, "nope", labRun)).toEqual({
        standing: { revoked: false, user: undefined, runStatus: undefined },
        access: undefined,
        run: undefined,
      });

      await store.service.addMember(member("lab", "root", "member"));
      const root = { jti: "jti-root", login: "root", runUuid: undefined };
      expect((await store.getTokenRunAccess(root, "lab", labRun)).access?.member.role).toBe("member");
      await store.service.setMemberRole("lab", "root", "admin");
      expect((await store.getTokenRunAccess(root, "lab", labRun)).access?.member.role).toBe("admin");
      expect((await store.service.getGroupAccess("lab", "root"))?.member.role).toBe("admin");
      await store.service.removeMember("lab", "root");
      expect(await store.getTokenRunAccess(root, "lab", labRun)).toMatchObject({ access: undefined, run: undefined });
      await store.service.deleteGroup("lab");
      expect(await store.getTokenRunAccess(session, "lab", labRun)).toMatchObject({ access: undefined, run: undefined });
      expect(await store.service.getGroupAccess("lab", "ada")).toBeUndefined();
    });
  });
}

function group(id: string): GroupRecord {
  return { id, uuid: randomUUID(), owner: "ada", createdAt: 1_700_000_000_000 };
}

function member(groupId: string, username: string, role: MemberRecord["role"]): MemberRecord {
  return { uuid: randomUUID(), groupId, username, role };
}

function actor(groupId: string, id: string, maxWorkers: number): ActorRecord {
  return {
    uuid: randomUUID(),
    groupId,
    id,
    owner: "ada",
    image: "busybox",
    command: ["sh", "-c", "echo $MSG"],
    defaultEnvironment: { A: "1" },
    description: "echoes",
    maxWorkers,
    createdAt: 10,
    updatedAt: 10,
  };
}

function pipeline(groupId: string, id: string): PipelineRecord {
  return { uuid: randomUUID(), groupId, id, owner: "ada", definition: { id, tasks: [{ id: "a", type: "request" }] }, createdAt: 10, updatedAt: 10, updatedBy: "ada" };
}
