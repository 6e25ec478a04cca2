// Secret values (options declared `secret: true`) and the one way runner hides them: every
// occurrence becomes `***`. The run's events pass through a Masker on their way to the
// reporters (execution/masked-events.ts), so every display and report gets the masked text.

/** What runner shows instead of a secret value. */
export const SECRET_MASK = "***";

/** Replaces each of a run's secret values with `***`, in text and in bytes. */
export class Masker {
  /** Longest first, so that a secret holding another is masked whole. */
  private texts: readonly string[] = [];
  private bytes: readonly Buffer[] = [];
  private readonly mask = Buffer.from(SECRET_MASK);

  constructor(secrets: Iterable<string>) {
    this.add(secrets);
  }

  /** More secrets, from now on: a task that `ctx.call` runs with a secret value of its own. */
  add(secrets: Iterable<string>): void {
    const all = new Set([...this.texts, ...secrets]);
    if (all.size === this.texts.length) return;
    this.texts = [...all].filter((s) => s !== "").sort((a, b) => b.length - a.length);
    this.bytes = this.texts.map((s) => Buffer.from(s));
  }

  /** The longest secret's length in bytes. */
  get longest(): number {
    return this.bytes[0]?.length ?? 0;
  }

  text(text: string): string {
    let out = text;
    for (const secret of this.texts) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
    return out;
  }

  /** Bytes are never decoded: what is not a secret stays exactly as it was. */
  chunk(chunk: Buffer): Buffer {
    let out = chunk;
    for (const secret of this.bytes) {
      let at = out.indexOf(secret);
      if (at === -1) continue;
      const parts: Buffer[] = [];
      let from = 0;
      for (; at !== -1; at = out.indexOf(secret, from)) {
        parts.push(out.subarray(from, at), this.mask);
        from = at + secret.length;
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  }

  /**
   * How many bytes at the end of `chunk` could be the start of a secret that the next chunk
   * completes: those wait for it, so that a secret split across two writes is masked too.
   */
  pending(chunk: Buffer): number {
    for (let length = Math.min(this.longest - 1, chunk.length); length > 0; length--) {
      const end = chunk.subarray(chunk.length - length);
      if (this.bytes.some((secret) => secret.length > length && end.equals(secret.subarray(0, length)))) {
        return length;
      }
    }
    return 0;
  }
}
