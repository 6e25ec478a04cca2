// GitHub Actions reads workflow commands (`::group::name`, `::error title=…::message`) from
// stdout. Text runner puts into one is escaped as @actions/core does, so that a task's name
// or option value can never end the command and start another.
/** A command's message, escaped as @actions/core does: `%`, CR and LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A property value (`title=`), escaped as @actions/core does: also `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
