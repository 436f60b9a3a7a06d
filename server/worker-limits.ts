/**
 * Heap limits for the worker threads that live as long as the server (the log writer, extra DNS threads).
 *
 * V8 sizes a new isolate's young generation for a desktop (up to two 16 MB semi-spaces plus their large-object
 * space, ~48 MB) and grows it under allocation pressure; after a busy minute that memory stays resident. The
 * threads allocate little per event (the ring is decoded into reused records), so a few MB of young generation
 * is enough: scavenges get more frequent but each stays as short (the live part is what they copy).
 * The main isolate's young generation is set by `--max-semi-space-size=4` on the start command (package.json
 * `start`, the Dockerfile's CMD, deploy/tracksink.service): 2 MB semi-spaces cost the DNS thread measurable CPU
 * at 40k q/s in the quick bench, 4 MB did not (bench/GAP.md, "memory pass").
 */
import type { ResourceLimits } from 'node:worker_threads';

/** Young generation of a long-lived worker (MB): ~two 2 MB semi-spaces plus the large-object space. */
export const WORKER_YOUNG_GENERATION_MB = 6;

export const LONG_LIVED_WORKER_LIMITS: ResourceLimits = {
  maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
};
