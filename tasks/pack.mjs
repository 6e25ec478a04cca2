// The package.json that goes into the tarball (`npm pack`): this one without `scripts`.
// Every script here is for working on this repository: `prepare` builds dist/ from src/ with
// tasks/bundle.mjs on this repository's `npm install`, the others run tasks/ or dev tools.
// The tarball ships dist/ built and neither src/ nor tasks/, so in it they could only fail
// (and npm 11 lists a dependency's `prepare` among the install scripts a project has to
// approve). npm has no field for a packed manifest of its own, so the prepack script runs
// `strip` (package.json without scripts, the original kept aside) and postpack `restore`
// (the original back, byte for byte). A pack that died in between left the original aside:
// the next `strip` puts it back first (or stops, if package.json was edited since). Plain
// JavaScript, run by npm as a program.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = join(root, "package.json");
// Beside package.json (same file system, so the rename is atomic), and not in "files".
const kept = join(root, "package.json.before-pack");

/** package.json's text without its scripts. */
function packed(text) {
  const { scripts: _scripts, ...rest } = /** @type {Record<string, unknown>} */ (JSON.parse(text));
  return `${JSON.stringify(rest, null, 2)}\n`;
}

/** Puts the original package.json back, if one was kept aside. */
function restore() {
  if (existsSync(kept)) renameSync(kept, manifest);
}

/** Keeps package.json aside and writes it again without scripts. */
function strip() {
  if (existsSync(kept)) {
    // Left by a pack that died before postpack. Put back unless package.json was edited since.
    const original = readFileSync(kept, "utf8");
    const now = readFileSync(manifest, "utf8");
    if (now !== original && now !== packed(original)) {
      process.stderr.write(
        "package.json.before-pack is left from a pack that did not finish, and package.json changed since: " +
          "keep the right one of the two, delete the other, and pack again\n",
      );
      process.exit(1);
    }
    restore();
  }
  const text = readFileSync(manifest, "utf8");
  writeFileSync(kept, text);
  writeFileSync(manifest, packed(text));
}

const action = process.argv[2];
if (action === "strip") strip();
else if (action === "restore") restore();
else {
  process.stderr.write("usage: node tasks/pack.mjs strip|restore\n");
  process.exitCode = 2;
}
