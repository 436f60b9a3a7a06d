/**
 * The contract between the DNS pipeline and the upstream clients.
 *
 * The pipeline hands the pool a complete query message (its own ID, question and EDNS as the client sent
 * them or as the pipeline rebuilt them); each transport rewrites the ID as it needs (random per UDP
 * query) and returns an answer whose ID is set back to the one given, whose question matched, and which
 * came from the address/connection the query went to.
 */
export interface UpstreamAnswer {
  /** The answer message, ID equal to the query's ID. */
  packet: Buffer;
  /** 1-based index of the upstream that answered (as configured). */
  upstreamId: number;
}

export interface UpstreamPool {
  /**
   * Resolves one question. Identical questions (name, type, class, DO bit) already in flight are
   * coalesced into one upstream exchange. Rejects with UpstreamError when every upstream failed or the
   * overall timeout passed.
   */
  resolve(query: Buffer, name: string, qtype: number, dnssecOk: boolean): Promise<UpstreamAnswer>;
  /** Human-readable list of upstreams, for start-up output and /api/health. */
  describe(): string[];
  close(): Promise<void>;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly causes: Error[] = [],
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
