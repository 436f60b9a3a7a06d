/**
 * The log writer thread (`log.writer: thread`, store/writer-place.ts): runs the writer's loop
 * (log-writer-host.ts) in its own isolate at a lower priority, so no SQLite work runs on the thread that
 * answers DNS. Messages from QueryLog (query-log.ts) arrive on the port; counters go back on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority, writerNice } from '../thread-priority.js';
import { type FromWorker, type ToWorker, type WorkerInit, WriterHost } from './log-writer-host.js';

export type { FromWorker, ToWorker, WorkerInit } from './log-writer-host.js';

function run(port: NonNullable<typeof parentPort>, init: WorkerInit): void {
  const post = (message: FromWorker): void => port.postMessage(message);
  // Its transactions run for milliseconds: on a shared core, a query arriving meanwhile should not wait.
  const priority = lowerThisThreadPriority(writerNice());
  if (!priority.lowered && priority.reason !== null)
    post({ type: 'notice', level: 'info', message: `log writer: ${priority.reason}` });
  const host = new WriterHost(init, post);
  port.on('message', (message: ToWorker) => {
    void host.handle(message).then(() => {
      if (message.type === 'close') port.close();
    });
  });
}

if (parentPort !== null) run(parentPort, workerData as WorkerInit);
