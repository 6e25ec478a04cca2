// Shell completion. The scripts are thin: each asks `runner --complete -- <words>` for
// candidates, so completion always knows the tasks file of the directory it runs in.
import type { Collection, Task } from "./collection.ts";
import type { CoreOptionShape } from "./core-options.ts";
import { OUTPUT_MODES } from "./config.ts";
import { UserError } from "./errors.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

const SCRIPTS: Readonly<Record<(typeof SHELLS)[number], string>> = {
  bash: `# runner completion for bash: add to ~/.bashrc
#   eval "$(runner --completion bash)"
_runner_complete() {
  local IFS=$'\\n'
  COMPREPLY=( $("\${COMP_WORDS[0]}" --complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
}
complete -o default -F _runner_complete runner
`,
  zsh: `#compdef runner
# runner completion for zsh: add to ~/.zshrc
#   eval "$(runner --completion zsh)"
_runner() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" --complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _runner runner
`,
  fish: `# runner completion for fish: save as ~/.config/fish/completions/runner.fish
#   runner --completion fish > ~/.config/fish/completions/runner.fish
complete -c runner -f -a '(runner --complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
};

export function completionScript(shell: string): string {
  const script = SCRIPTS[shell as (typeof SHELLS)[number]] as string | undefined;
  if (script === undefined) {
    throw new UserError(`Invalid value "${shell}" for --completion: expected one of ${SHELLS.join(", ")}.`);
  }
  return script;
}

/** Candidates for the last word of `words` (the one being typed), one per line. */
export function completeWords(
  collection: Collection | undefined,
  shapes: readonly CoreOptionShape[],
  words: readonly string[],
): string {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  const task = lastTask(collection, before);
  const previous = before.at(-1);
  const candidates = valueCandidates(task, shapes, previous) ?? wordCandidates(collection, task, shapes, current);
  const matching = candidates.filter((candidate) => candidate.startsWith(current));
  return matching.length === 0 ? "" : `${matching.join("\n")}\n`;
}

function lastTask(collection: Collection | undefined, words: readonly string[]): Task | undefined {
  let found: Task | undefined;
  for (const word of words) {
    if (word.startsWith("-")) continue;
    found = collection?.find(word) ?? found;
  }
  return found;
}

/** When the previous word is an option that takes a value: what that value may be. */
function valueCandidates(
  task: Task | undefined,
  shapes: readonly CoreOptionShape[],
  previous: string | undefined,
): string[] | undefined {
  if (previous === undefined || !previous.startsWith("-") || previous.includes("=")) return undefined;
  const def = task?.options.find(
    (d) => !d.positional && (`--${d.flag}` === previous || (d.short !== undefined && `-${d.short}` === previous)),
  );
  if (def !== undefined) {
    if (def.type === "boolean") return undefined;
    return def.choices?.map(String) ?? [];
  }
  const shape = shapes.find((s) => s.long === previous || s.short === previous);
  if (shape === undefined || shape.value !== "required") return undefined;
  if (shape.long === "--output") return [...OUTPUT_MODES];
  if (shape.long === "--completion") return [...SHELLS];
  return [];
}

function wordCandidates(
  collection: Collection | undefined,
  task: Task | undefined,
  shapes: readonly CoreOptionShape[],
  current: string,
): string[] {
  if (current.startsWith("-")) {
    const own = (task?.options ?? []).flatMap((d) =>
      d.positional ? [] : d.type === "boolean" ? [`--${d.flag}`, `--no-${d.flag}`] : [`--${d.flag}`],
    );
    const core = shapes.filter((s) => s.long !== "--complete").map((s) => s.long);
    return [...own, ...core.filter((c) => !own.includes(c))];
  }
  const visible = (collection?.tasks ?? []).filter((t) => !t.hidden);
  return [...new Set(visible.flatMap((t) => [t.name, ...t.aliases.filter((a) => !a.endsWith(".default"))]))].sort();
}
