// Shell completion. The scripts are thin: each asks `runner --complete -- <words>` for
// candidates, so completion always knows the tasks file of the directory it runs in.
import { UserError } from "../common/user-error.ts";
import { showText } from "../common/show-value.ts";
import { OUTPUT_MODES } from "../config/settings.ts";
import type { Collection, Task } from "../loader/collection.ts";
import { isFlag } from "../loader/option-declarations.ts";
import type { CoreOptionShape } from "./grammar.ts";

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
  # Unquoted (f) splits lines and drops empty ones: no candidates means an empty array.
  candidates=(\${(f)"$("\${words[1]}" --complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  if (( \${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
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
    throw new UserError(`Invalid value ${showText(shell)} for --completion: expected one of ${SHELLS.join(", ")}.`);
  }
  return script;
}

/** Candidates for the last word of `words` (the one being typed), one per line. */
export function completeWords(
  collection: Collection | undefined,
  shapes: readonly CoreOptionShape[],
  words: readonly string[],
): string {
  const lines = (candidates: readonly string[]): string =>
    candidates.length === 0 ? "" : `${candidates.join("\n")}\n`;
  const current = words.at(-1) ?? "";
  const previous = words.at(-2);
  // bash splits `--target=es` at "=" (COMP_WORDBREAKS) into `--target`, `=`, `es`, and its
  // candidates replace only the part after "=": answer with bare values then.
  if (current === "=" && previous?.startsWith("-") === true) {
    return lines(optionValues(collection, shapes, words.slice(0, -2), previous, ""));
  }
  const third = words.at(-3);
  if (previous === "=" && third?.startsWith("-") === true) {
    return lines(optionValues(collection, shapes, words.slice(0, -3), third, current));
  }
  const before = words.slice(0, -1);
  // zsh and fish keep `--target=es` whole: the candidates replace all of it.
  const eq = current.indexOf("=");
  if (current.startsWith("--") && eq !== -1) {
    const option = current.slice(0, eq);
    const values = optionValues(collection, shapes, before, option, current.slice(eq + 1));
    return lines(values.map((value) => `${option}=${value}`));
  }
  const task = lastTask(collection, shapes, before);
  const candidates =
    (previous === undefined ? undefined : valueCandidates(task, shapes, previous)) ??
    wordCandidates(collection, task, shapes, current);
  return lines(candidates.filter((candidate) => candidate.startsWith(current)));
}

/** The values `option` may take that start with `prefix`, in the context of `before`. */
function optionValues(
  collection: Collection | undefined,
  shapes: readonly CoreOptionShape[],
  before: readonly string[],
  option: string,
  prefix: string,
): string[] {
  const values = valueCandidates(lastTask(collection, shapes, before), shapes, option) ?? [];
  return values.filter((value) => value.startsWith(prefix));
}

/** The task the words name last; a word that is an option's value names no task. */
function lastTask(
  collection: Collection | undefined,
  shapes: readonly CoreOptionShape[],
  words: readonly string[],
): Task | undefined {
  let found: Task | undefined;
  for (let i = 0, word = words[i]; word !== undefined; word = words[++i]) {
    if (word.startsWith("-")) {
      if (valueCandidates(found, shapes, word) !== undefined) i++;
      continue;
    }
    found = collection?.find(word) ?? found;
  }
  return found;
}

/**
 * When `option` takes a value: what that value may be ([] when anything goes, so the shell
 * offers file names). Undefined when it takes none (a flag, or not an option at all).
 */
function valueCandidates(
  task: Task | undefined,
  shapes: readonly CoreOptionShape[],
  option: string,
): string[] | undefined {
  if (!option.startsWith("-") || option.includes("=")) return undefined;
  const def = task?.options.find(
    (d) => !d.positional && (`--${d.flag}` === option || (d.short !== undefined && `-${d.short}` === option)),
  );
  if (def !== undefined) {
    if (isFlag(def)) return undefined;
    return def.choices?.map(String) ?? [];
  }
  const shape = shapes.find((s) => s.long === option || s.short === option);
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
    const core = shapes.filter((s) => !s.hidden).map((s) => s.long);
    return [...own, ...core.filter((c) => !own.includes(c))];
  }
  const visible = (collection?.tasks ?? []).filter((t) => !t.hidden);
  // A namespace with a default task runs by its own name: `runner docs`.
  const names = visible.flatMap((t) => [
    t.name,
    ...t.aliases.filter((a) => !a.endsWith(".default")),
    ...(t.name.endsWith(".default") ? [t.name.slice(0, -".default".length)] : []),
  ]);
  return [...new Set(names)].sort();
}
