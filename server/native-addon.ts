/**
 * The project's N-API addon (native/udp-batch, C): the batch UDP transport (dns/udp-native.ts) and glibc's
 * malloc_trim (native-memory.ts). One build, found at one of two places: a fresh build beside its source
 * (`npm install`'s postinstall), then the copy `build:server` puts in dist/native (the image, a bundled server).
 * Loaded at most once per thread (each worker thread has its own module registry); a missing or broken addon is
 * never an error here, the caller says what it does without it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

export const NATIVE_ADDON_PATHS = [
  join(projectRoot, 'native', 'udp-batch', 'build', 'Release', 'udp_batch.node'),
  join(projectRoot, 'dist', 'native', 'udp_batch.node'),
];

export interface NativeAddon {
  /** The addon's exports (each user narrows them to the functions it calls). */
  binding: Record<string, unknown> | null;
  /** The path it was loaded from, or why there is none. */
  why: string;
}

let loaded: NativeAddon | undefined;

export function loadNativeAddon(): NativeAddon {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux')
    return (loaded = { binding: null, why: 'recvmmsg/sendmmsg are Linux-only' });
  const path = NATIVE_ADDON_PATHS.find((p) => existsSync(p));
  if (path === undefined)
    return (loaded = { binding: null, why: 'the addon is not built (npm run build:native)' });
  try {
    const binding = createRequire(import.meta.url)(path) as Record<string, unknown>;
    return (loaded = { binding, why: path });
  } catch (error) {
    return (loaded = {
      binding: null,
      why: `the addon at ${path} failed to load: ${(error as Error).message}`,
    });
  }
}
