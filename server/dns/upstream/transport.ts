/**
 * What every upstream transport (UDP, TCP, DoT, DoH) offers the pool, and the errors it rejects with.
 */

export interface UpstreamTransport {
  /**
   * Sends one query and resolves with the matching answer, its ID set back to the query's ID. Answers
   * that do not match (ID, source, question) are ignored and reported through `onMismatch`.
   * Rejects with UpstreamTimeoutError after `timeoutMs`, or with another Error on failure.
   */
  exchange(query: Buffer, timeoutMs: number): Promise<Buffer>;
  /** Releases every socket/session; pending exchanges reject. */
  close(): Promise<void>;
}

/** Called for each ignored answer (wrong ID, question, source, or not DNS at all). */
export type MismatchListener = () => void;

export class UpstreamTimeoutError extends Error {
  constructor(label: string, timeoutMs: number) {
    super(`${label}: no answer within ${timeoutMs} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

/** The transport was closed while the query waited (pool shut down). */
export class TransportClosedError extends Error {
  constructor(label: string) {
    super(`${label}: closed`);
    this.name = 'TransportClosedError';
  }
}

/** Rejects with UpstreamTimeoutError when `promise` has not settled within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UpstreamTimeoutError(label, timeoutMs)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
