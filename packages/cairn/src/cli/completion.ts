import type { Command } from "commander";

/**
 * `cairn completion bash|zsh|fish`: a completion script made from the command tree
 * itself, so a new command or option completes without anyone editing a script.
 * Commands and subcommands, then each one's options; anything else completes as a file
 * name (pipeline files, attachments). zsh uses the bash script through bashcompinit,
 * which every zsh since 4.2 ships.
 */

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionShape {
  long: string | undefined;
  short: string | undefined;
  takesValue: boolean;
  description: string;
}

interface CommandShape {
  /** Space-separated path below `cairn`: "" for cairn itself, "images ls". */
  path: string;
  name: string;
  description: string;
  options: OptionShape[];
  subcommands: CommandShape[];
  /** Fixed choices of the first argument (completion: bash, zsh, fish). */
  choices: string[];
}

export function completionScript(shell: Shell, program: Command): string {
  const root = shapeOf(program, "");
  switch (shell) {
    case "bash":
      return bashScript(root);
    case "zsh":
      return `#compdef cairn\n# cairn's completion for zsh: eval "$(cairn completion zsh)" in ~/.zshrc\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(root, false)}`;
    case "fish":
      return fishScript(root);
  }
}

function shapeOf(command: Command, path: string): CommandShape {
  const options: OptionShape[] = command.options.map((o) => ({
    long: o.long,
    short: o.short,
    takesValue: o.required || o.optional,
    description: o.description,
  }));
  if (path === "") options.push({ long: "--help", short: "-h", takesValue: false, description: "show help" });
  const choices = command.registeredArguments[0]?.argChoices ?? [];
  return {
    path,
    name: command.name(),
    description: command.description(),
    options,
    subcommands: command.commands.filter((c) => c.name() !== "help").map((c) => shapeOf(c, path === "" ? c.name() : `${path} ${c.name()}`)),
    choices,
  };
}

function all(root: CommandShape): CommandShape[] {
  return [root, ...root.subcommands.flatMap(all)];
}

const flags = (c: CommandShape) => c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));

function bashScript(root: CommandShape, header = true): string {
  const commands = all(root);
  const words = commands.map((c) => `  [${JSON.stringify(c.path === "" ? "_" : c.path)}]=${JSON.stringify([...c.subcommands.map((s) => s.name), ...c.choices].join(" "))}`);
  const options = commands.map((c) => `  [${JSON.stringify(c.path === "" ? "_" : c.path)}]=${JSON.stringify(flags(c).join(" "))}`);
  const valued = commands.flatMap((c) => c.options.filter((o) => o.takesValue).flatMap((o) => [o.long, o.short])).filter((f): f is string => f !== undefined);
  return `${header ? '# cairn\'s completion for bash: eval "$(cairn completion bash)" in ~/.bashrc\n' : ""}declare -gA _cairn_words=(
${words.join("\n")}
)
declare -gA _cairn_options=(
${options.join("\n")}
)
_cairn_valued=${JSON.stringify(` ${[...new Set(valued)].join(" ")} `)}

_cairn() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" key="_" i w skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    if [[ $w == -* ]]; then
      [[ $_cairn_valued == *" $w "* ]] && skip=1
      continue
    fi
    # A subcommand deepens the path; any other word is an argument.
    if [[ " \${_cairn_words[$key]} " == *" $w "* && -n \${_cairn_options[\${path:+$path }$w]+set} ]]; then
      path=\${path:+$path }$w
      key=$path
    fi
  done
  if ((skip)); then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "\${_cairn_options[$key]} \${_cairn_options[_]}" -- "$cur"))
  elif [[ -n \${_cairn_words[$key]} ]]; then
    COMPREPLY=($(compgen -W "\${_cairn_words[$key]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _cairn cairn
`;
}

function fishScript(root: CommandShape): string {
  const lines = ["# cairn's completion for fish: cairn completion fish > ~/.config/fish/completions/cairn.fish", "complete -c cairn -f"];
  const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const option = (o: OptionShape, condition: string) =>
    `complete -c cairn${condition}${o.long ? ` -l ${o.long.replace(/^--/, "")}` : ""}${o.short ? ` -s ${o.short.replace(/^-/, "")}` : ""}${o.takesValue ? " -r -F" : ""} -d ${quote(firstLine(o.description))}`;
  for (const o of root.options) lines.push(option(o, ""));
  for (const c of root.subcommands) {
    lines.push(`complete -c cairn -n __fish_use_subcommand -a ${c.name} -d ${quote(firstLine(c.description))}`);
    const inCommand = ` -n '__fish_seen_subcommand_from ${c.name}'`;
    for (const o of c.options) lines.push(option(o, inCommand));
    for (const s of c.subcommands) {
      lines.push(`complete -c cairn${inCommand} -a ${s.name} -d ${quote(firstLine(s.description))}`);
      for (const o of s.options) lines.push(option(o, ` -n '__fish_seen_subcommand_from ${s.name}'`));
    }
    if (c.choices.length > 0) lines.push(`complete -c cairn${inCommand} -a ${quote(c.choices.join(" "))}`);
    // Pipeline files and attachments: file names for the commands that take them.
    if (c.subcommands.length === 0 && c.choices.length === 0) lines.push(`complete -c cairn${inCommand} -F`);
  }
  return lines.join("\n") + "\n";
}

function firstLine(text: string, max = 80): string {
  const line = text.split("\n")[0]!;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
