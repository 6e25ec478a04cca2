// What each way of telling a service is ready (readiness.ts) looks like to its user.
import type { StreamName } from "../world/world.ts";

export interface ReadinessProbe {
  /** What the service printed: the output probe looks for its pattern there, the others ignore it. */
  output(stream: StreamName, chunk: Buffer): void;
  /** Why it is not ready, for the failure once its time is up: `its output did not match /listening/`. */
  notReady(): string;
  /** Ends the probe: no timer or socket of it is left, and it says nothing more. */
  stop(): void;
}
