// Changes come in bursts — a save is often a write, a rename and a chmod; a `git checkout` or
// a formatter touches dozens of files — and each burst should be one re-run. Paths are held
// until nothing has changed for a quiet moment, then handed over together.

/** How long nothing must change before a burst counts as over. */
export const QUIET_MS = 100;

export class ChangeBatch {
  private readonly paths = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The paths of a burst, in the order they first changed. */
    private readonly flush: (paths: readonly string[]) => void,
    private readonly quietMs = QUIET_MS,
  ) {}

  add(path: string): void {
    this.paths.add(path);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.paths];
      this.paths.clear();
      this.timer = undefined;
      this.flush(paths);
    }, this.quietMs);
  }

  /** Drops what is held: nothing is handed over after this. */
  dispose(): void {
    clearTimeout(this.timer);
    this.paths.clear();
  }
}
