/**
 * Routes a worker's stdout and stderr (and so `console.*`) through the protocol.
 *
 * Text goes out as it is written, tagged with the running task; the parent
 * joins it into whole lines per worker and stream. Sending at once (instead of
 * buffering lines here) is what keeps the last words of a worker that crashes
 * right after writing: they are already in the kernel when it dies.
 *
 * What is sent is the text plain Node would show on a UTF-8 terminal: a
 * string in another encoding (`write('6869', 'hex')`) is turned into its
 * bytes, and bytes (a Buffer, any typed array or DataView, by its bytes) are
 * decoded by one streaming UTF-8 decoder per stream, so a character split
 * across two writes arrives whole. A plain string, what `console.log` writes,
 * is sent as it is: no copy, no decoder.
 *
 * The streams are patched when first used, not here: Node builds
 * `process.stdout` on first access, and for a pipe that means loading
 * `node:net` and opening a socket, several milliseconds of a worker's
 * start-up that a module which never logs does not need.
 */
import { StringDecoder } from 'node:string_decoder';

/**
 * Whether output is sent: the `init` command's choice (`logs: 0` when nobody
 * wants it, as with `'silent'`), unless a `logs` command has already said
 * otherwise (it may be read before `init` is handled: it is always newer).
 * Dropped output costs no decoding and no message.
 */
let sending: boolean | undefined;
const decoders: { stdout?: StringDecoder; stderr?: StringDecoder } = {};

/** The parent's `logs` command: start or stop sending output. */
export function sendOutput(on: boolean): void {
  sending = on;
  // Bytes held for a character's end are stale once output was dropped between.
  if (!on) decoders.stdout = decoders.stderr = undefined;
}

export function captureOutput(send: boolean, sink: (stream: 'stdout' | 'stderr', text: string) => void): void {
  sending ??= send;
  for (const stream of ['stdout', 'stderr'] as const) {
    const write = function (this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const done = typeof encoding === 'function' ? encoding : cb;
      // Before the send: an encoding or a chunk Node would refuse throws at the caller, as Node's write does.
      const text = sending ? decode(stream, chunk, encoding) : '';
      if (text !== '') {
        try {
          sink(stream, text);
        } catch {
          // Never let logging break a task.
        }
      }
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    };
    const patch = (target: NodeJS.WriteStream) => {
      target.write = write as typeof target.write;
      return target;
    };
    const own = Object.getOwnPropertyDescriptor(process, stream);
    if (!own?.get || !own.configurable) {
      patch(process[stream]);
      continue;
    }
    // Node's getter builds the stream once and keeps it: patch that one on first use.
    const build = own.get;
    let patched: NodeJS.WriteStream | undefined;
    Object.defineProperty(process, stream, {
      configurable: true,
      enumerable: own.enumerable,
      get: () => (patched ??= patch(build.call(process) as NodeJS.WriteStream)),
    });
  }
}

/** The text a terminal would show for this write (after what earlier writes to the stream left unfinished). */
function decode(stream: 'stdout' | 'stderr', chunk: unknown, encoding: unknown): string {
  const decoder = decoders[stream];
  if (typeof chunk === 'string' && (typeof encoding !== 'string' || encoding === 'utf8' || encoding === 'utf-8')) {
    if (decoder === undefined) return chunk;
    // Bytes before it that were an unfinished character show as U+FFFD, as on a terminal.
    decoders[stream] = undefined;
    return decoder.end() + chunk;
  }
  let bytes: Buffer;
  // Node ignores the encoding of bytes; a string's names its bytes (an unknown one throws, as in Node).
  if (typeof chunk === 'string') bytes = Buffer.from(chunk, encoding as BufferEncoding);
  else if (ArrayBuffer.isView(chunk)) bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  else throw Object.assign(new TypeError(`The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${chunk === null ? 'null' : typeof chunk}`), { code: 'ERR_INVALID_ARG_TYPE' });
  return (decoders[stream] ??= new StringDecoder('utf8')).write(bytes);
}
