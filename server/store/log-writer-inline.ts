/**
 * The log writer in the main isolate (`log.writer: main`, store/writer-place.ts): the same loop as the
 * writer thread (log-writer-host.ts) with the same ring and the same LogWriter, but no second isolate
 * (~10–12 MB resident for the isolate plus its ~11 MB heap: bench/GAP.md, "Where the memory goes").
 * Its SQLite work then runs on the thread that answers DNS, so it runs in slices (MAIN_TUNING: at most 500
 * rows per transaction, 250 name-rollup keys, one app pass of 1,000 rows, 100-row retention steps) with a setImmediate between
 * them: datagrams that arrived during a slice are answered before the next one. DNS itself still only
 * copies into the ring and never waits for a slice.
 */
import {
  type FromWorker,
  MAIN_TUNING,
  MAIN_WRITER_OPTIONS,
  type SliceKind,
  type ToWorker,
  type WorkerInit,
  WriterHost,
} from './log-writer-host.js';

export class InlineWriter {
  private readonly host: WriterHost;

  constructor(
    init: WorkerInit,
    onMessage: (message: FromWorker) => void,
    onSlice?: (kind: SliceKind, ms: number) => void,
  ) {
    const writer = { ...MAIN_WRITER_OPTIONS, ...init.writer };
    this.host = new WriterHost({ ...init, writer }, onMessage, {
      ...MAIN_TUNING,
      ...(onSlice === undefined ? {} : { onSlice }),
    });
  }

  /** As a thread's postMessage: handled in turn with the drains, answered through onMessage. */
  post(message: ToWorker): void {
    void this.host.handle(message);
  }
}
