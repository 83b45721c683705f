// PGlite is one backend shared by every socket connection. pglite-socket queues protocol
// messages and keeps a transaction on its own connection, but it interleaves the messages of an
// extended query (Parse, Bind, Describe, Execute … Sync) from different connections, so under
// concurrency one client's Bind lands on another's Parse and results come back to the wrong
// query. This replaces the queue's scheduler with one that also keeps a connection's extended
// query together until its Sync, and that keeps serving the queue after a failed message.
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { MessageQueue } from './embedded-gate.ts';

type QueuedMessage = {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
  onData: (data: Uint8Array) => void;
};

type QueryQueue = {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue: () => Promise<void>;
  clearQueueForHandler: (handlerId: number) => void;
};

const SYNC = 0x53; // 'S' ends an extended query
const QUERY = 0x51; // 'Q' is a whole simple query
const TERMINATE = 0x58; // 'X'
const COPY_DONE = 0x63; // 'c'
const COPY_FAIL = 0x66; // 'f'

/** Whether, after this message, the same connection must be served next. */
function leavesConnectionMidQuery(message: Uint8Array): boolean {
  const type = message[0];
  // A startup or SSL/cancel request starts with a length, whose first byte is 0: not a query.
  if (type === undefined || type === 0) return false;
  return ![SYNC, QUERY, TERMINATE, COPY_DONE, COPY_FAIL].includes(type);
}

/**
 * pglite-socket's message queue for `db`, with the scheduler above. The server object is never
 * started: src/db/embedded-gate.ts listens and hands it each signed-in connection.
 */
export function messageQueueFor(db: PGlite): MessageQueue {
  const server = new PGLiteSocketServer({ db });
  keepExtendedQueriesTogether(server, db);
  return (server as unknown as { queryQueue: MessageQueue }).queryQueue;
}

function keepExtendedQueriesTogether(server: PGLiteSocketServer, db: PGlite): void {
  const q = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== 'function' || typeof q.clearQueueForHandler !== 'function') {
    throw new Error('pglite-socket changed its internals: review src/db/embedded-queue.ts before upgrading');
  }
  let pinned: number | null = null;
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    if (pinned === handlerId) pinned = null;
    clear(handlerId);
  };
  q.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        // Mid extended query, or inside a transaction: only that connection may go next.
        const owner = pinned ?? (db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === owner);
        if (index === -1) break; // the owner's next message has not arrived yet; enqueue calls us again
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await db.runExclusive(() => db.execProtocolRawStream(item.message, { onRawData: (d: Uint8Array) => { bytes += d.length; item.onData(d); } }));
        } catch (err) {
          pinned = null;
          this.lastHandlerId = item.handlerId;
          item.reject(err);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        pinned = leavesConnectionMidQuery(item.message) ? item.handlerId : null;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
}
