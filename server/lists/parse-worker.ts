/**
 * Worker thread that decodes and parses list texts (list-parser.ts is its other half). A 60 MB list takes
 * seconds to parse; here that time is spent beside the event loop, so DNS keeps answering meanwhile. The
 * parsed list's typed arrays are transferred back, not copied.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { parseList } from '../filter/parse.js';
import { decodeText, DownloadError } from '../net/download.js';
import type { ParseRequest, ParseResponse } from './list-parser.js';
import { lowerThisThreadPriority } from '../thread-priority.js';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread only');
// A refresh's parse runs beside DNS on the same cores: it steps aside (the start-up parse, which DNS
// waits for, keeps its priority).
if ((workerData as { background?: boolean } | null)?.background === true) lowerThisThreadPriority();

port.on('message', (request: ParseRequest) => {
  void handle(request).then(
    (response) => {
      const { parsed } = response;
      const transfer = parsed ? [parsed.hashHi.buffer, parsed.hashLo.buffer, parsed.meta.buffer] : [];
      port.postMessage(response, transfer as ArrayBuffer[]);
    },
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        error: (error as Error).message,
        notText: error instanceof DownloadError,
      } satisfies ParseResponse),
  );
});

async function handle(request: ParseRequest): Promise<ParseResponse> {
  let text: string;
  if (request.body) text = decodeText(request.body, request.servedAsHtml ?? false);
  else text = await readFile(request.path as string, 'utf8');
  const parsed = parseList(text, { listId: request.listId, format: request.format });
  // The text itself stays here: sending 60 MB of string back would cost the event loop a second.
  return { id: request.id, parsed, blank: text.trim() === '' };
}
