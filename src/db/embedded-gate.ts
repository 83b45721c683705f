// The embedded database's front door. PGlite answers any startup message as superuser, so a
// connection reaches it only after giving the password generated when the database started
// (kept owner-only in DATA_DIR). Connections that have not signed in are few and short-lived:
// junk connections cannot hold the slots the app's own pool needs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';

export type MessageQueue = PGLiteSocketHandlerOptions['queryQueue'];

export type GateLimits = {
  /** Signed-in connections at once; the app's pools, workers and CLI runs fit well within it. */
  maxConnections: number;
  /** Connections still signing in; past this the oldest is dropped, as a real client signs in within milliseconds. */
  maxPending: number;
  /** How long a connection may take to sign in. */
  signInTimeoutMs: number;
};

const LIMITS: GateLimits = { maxConnections: 64, maxPending: 16, signInTimeoutMs: 5_000 };

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const MAX_STARTUP = 10_000;
const MAX_PASSWORD = 1_000;
const PASSWORD_MESSAGE = 0x70; // 'p'
/** AuthenticationCleartextPassword: the socket lives in a 0700 folder, so nobody else sees the exchange. */
const ASK_PASSWORD = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

const digest = (b: Buffer | string) => createHash('sha256').update(b).digest();

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

export type Gate = { server: Server; close(): Promise<void> };

/** A server (not yet listening) that signs each connection in, then hands it to pglite-socket on `queue`. */
export function openGate(queue: MessageQueue, password: string, limits: GateLimits = LIMITS): Gate {
  const expected = digest(password);
  const pending = new Set<Socket>();
  const signedIn = new Set<PGLiteSocketHandler>();
  let closing = false;

  function admit(socket: Socket, replay: Buffer): void {
    socket.pause();
    socket.unshift(replay); // the startup message, which PGlite answers with AuthenticationOk
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    signedIn.add(handler);
    const forget = () => signedIn.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    void handler.attach(socket); // registers its listeners synchronously
    socket.resume();
  }

  const server = createServer((socket) => {
    socket.on('error', () => {});
    if (closing) return void socket.destroy();
    const oldest = pending.size >= limits.maxPending ? pending.values().next().value : undefined;
    if (oldest) {
      pending.delete(oldest); // now, not on its 'close', so the next arrival counts right
      oldest.destroy();
    }
    pending.add(socket);
    socket.on('close', () => pending.delete(socket));
    const deadline = setTimeout(() => socket.destroy(), limits.signInTimeoutMs);
    socket.on('close', () => clearTimeout(deadline));

    let buffered = Buffer.alloc(0);
    let startup: Buffer | undefined;
    const stop = () => socket.removeListener('data', onData);
    const refuse = (code: string, message: string) => {
      stop();
      socket.end(errorResponse(code, message)); // the deadline still destroys it if the client lingers
    };
    function onData(chunk: Buffer): void {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!startup) {
          if (buffered.length < 8) return;
          const length = buffered.readInt32BE(0);
          const code = buffered.readInt32BE(4);
          if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
            socket.write('N');
            buffered = buffered.subarray(8);
            continue;
          }
          if (code !== PROTOCOL_3 || length < 8 || length > MAX_STARTUP) return refuse('08P01', 'expected a startup message');
          if (buffered.length < length) return;
          startup = buffered.subarray(0, length);
          buffered = buffered.subarray(length);
          socket.write(ASK_PASSWORD);
          continue;
        }
        if (buffered.length < 5) return;
        const length = buffered.readInt32BE(1);
        if (buffered[0] !== PASSWORD_MESSAGE || length < 5 || length > MAX_PASSWORD) return refuse('28P01', 'password authentication failed');
        if (buffered.length < 1 + length) return;
        const given = buffered.subarray(5, length); // without its closing NUL
        const rest = buffered.subarray(1 + length);
        if (!timingSafeEqual(digest(given), expected)) return refuse('28P01', 'password authentication failed');
        if (signedIn.size >= limits.maxConnections) return refuse('53300', 'too many connections to the embedded database');
        stop();
        clearTimeout(deadline);
        pending.delete(socket);
        return admit(socket, Buffer.concat([startup, rest]));
      }
    }
    socket.on('data', onData);
  });

  return {
    server,
    async close() {
      closing = true;
      for (const socket of pending) socket.destroy();
      await Promise.all([...signedIn].map((h) => h.detach(true)));
      signedIn.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
