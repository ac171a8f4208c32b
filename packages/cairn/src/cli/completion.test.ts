import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { main } from "./main.js";
import { CAIRN_VERSION } from "../version.js";

/** `cairn completion` and `cairn --version` through main(); the bash script run by a real bash. */

async function cairn(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (t) => void (out += t) }, { write: (t) => void (err += t) });
  return { code, out, err };
}

/** What bash completes for the words typed so far (the last one being completed). */
function completeWithBash(script: string, words: string[]): string[] {
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _cairn; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["-c", program], { encoding: "utf8", cwd: import.meta.dirname }).split("\n").filter(Boolean);
}

describe("cairn completion", () => {
  it("completes commands, subcommands, options and file names in bash", async () => {
    const { code, out } = await cairn(["completion", "bash"]);
    expect(code).toBe(0);
    expect(completeWithBash(out, ["cairn", "re"]).sort()).toEqual(["rerun", "results", "resume", "retry"]);
    expect(completeWithBash(out, ["cairn", "--data-dir", "/tmp", "images", "l"]).sort()).toEqual(["load", "ls"]);
    expect(completeWithBash(out, ["cairn", "run", "--he"]).sort()).toEqual(["--help", "--help-params"]);
    expect(completeWithBash(out, ["cairn", "completion", ""])).toEqual(["bash", "zsh", "fish"]);
    expect(completeWithBash(out, ["cairn", "validate", "completion.te"])).toEqual(["completion.test.ts"]);
  });

  it("prints a zsh script over bashcompinit and a fish script of complete commands", async () => {
    const zsh = await cairn(["completion", "zsh"]);
    expect(zsh.out).toMatch(/^#compdef cairn\n/);
    expect(zsh.out).toContain("bashcompinit");
    expect(zsh.out).toContain("complete -o filenames -o bashdefault -F _cairn cairn");
    const fish = (await cairn(["completion", "fish"])).out;
    expect(fish).toContain("complete -c cairn -n __fish_use_subcommand -a logs -d ");
    expect(fish).toContain("complete -c cairn -n '__fish_seen_subcommand_from run' -l param -s p -r -F -d 'a run parameter (repeatable)'");
    expect(fish).toContain("complete -c cairn -n '__fish_seen_subcommand_from images' -a ls -d ");
  });

  it("refuses an unknown shell with exit 2", async () => {
    const r = await cairn(["completion", "tcsh"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Allowed choices are bash, zsh, fish");
  });
});

describe("cairn --version", () => {
  it("prints the package's version", async () => {
    expect(CAIRN_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(await cairn(["--version"])).toEqual({ code: 0, out: `${CAIRN_VERSION}\n`, err: "" });
  });
});

describe("cairn export", () => {
  it("prints the JSON a TypeScript pipeline built with the SDK amounts to", async () => {
    const r = await cairn(["export", `${import.meta.dirname}/../../../../test/cli/fixtures/sdk-pipeline.ts`]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const pipeline = JSON.parse(r.out);
    expect(pipeline).toMatchObject({ id: "from-sdk", description: "Built with the SDK, applied from a .ts file" });
    expect(pipeline.tasks.map((t: { id: string }) => t.id)).toEqual(["write", "read"]);
    expect(pipeline.tasks[1].input.WORD.value_from).toEqual({ task_output: { task_id: "write", output_id: "word" } });
  });

  it("refuses an invalid file with exit 2", async () => {
    const r = await cairn(["export", `${import.meta.dirname}/no-such-pipeline.yaml`]);
    expect(r.code).toBe(2);
  });
});
