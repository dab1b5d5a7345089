import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

const COPY_SPECIAL = /[\\\t\n\r]/;

/** Text as one field of PostgreSQL's COPY text format (backslash escapes; not NULL). */
export function copyText(value: string): string {
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (character) => (character === "\\" ? "\\\\" : character === "\t" ? "\\t" : character === "\n" ? "\\n" : "\\r"));
}

function copySql(table: string, columns: readonly string[], format: "text" | "binary"): string {
  return `COPY ${table} (${columns.map((column) => `"${column}"`).join(", ")}) FROM STDIN${format === "binary" ? " (FORMAT binary)" : ""}`;
}

/**
 * Streams text already in COPY text format — whole lines, each ending in "\n", in chunks
 * of any number of lines — into `COPY <table> (<columns>) FROM STDIN`, honouring
 * back-pressure. The fast path for bulk loads whose producer formats lines itself.
 */
async function copyTextChunks(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string> | Iterable<string>,
): Promise<void> {
  await copyChunks(client, copySql(table, columns, "text"), chunks);
}

/** Streams a whole {@link BinaryCopyWriter} output into `COPY <table> (<columns>) FROM STDIN (FORMAT binary)`. */
export async function copyBinaryChunks(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  chunks: Iterable<Buffer>,
): Promise<void> {
  await copyChunks(client, copySql(table, columns, "binary"), chunks);
}

async function copyChunks(client: pg.PoolClient | pg.Client, sql: string, chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): Promise<void> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunks), stream);
  if (!stream.writableFinished) await once(stream, "finish");
}

const BINARY_SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_TO_32 = 2 ** 32;
const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidBytes(value: string): Uint8Array {
  if (!UUID_FORM.test(value)) throw new Error(`not a UUID: ${value}`);
  return Uint8Array.from(Buffer.from(value.replaceAll("-", ""), "hex"));
}

/** Consecutive fields in binary COPY form, for {@link BinaryCopyWriter.encoded}. */
export type EncodedFields = { readonly bytes: Uint8Array };

/** Consecutive non-null `uuid` fields, encoded once for every row that holds them. */
export function encodeUuidFields(values: readonly string[]): EncodedFields {
  const bytes = new Uint8Array(values.length * 20);
  values.forEach((value, field) => {
    new DataView(bytes.buffer).setInt32(field * 20, 16);
    bytes.set(uuidBytes(value), field * 20 + 4);
  });
  return { bytes };
}

/**
 * Buffers of one size, handed out again once given back: a bulk load's memory is then what
 * it has in flight, not that plus however much garbage the collector has not freed yet
 * (buffers live outside V8's heap, which does not hurry to collect them).
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferBytes = 1 << 20,
    private readonly keepAtMost = 64,
  ) {}

  take(): Buffer {
    // Never a slice of Node's shared pool: each buffer is its own memory to hand out again.
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /** Only buffers no longer read by anyone (a COPY that has completed). */
  give(buffers: readonly Buffer[]): void {
    for (const buffer of buffers) {
      if (this.free.length >= this.keepAtMost) return;
      if (buffer.length === this.bufferBytes) this.free.push(buffer);
    }
  }
}

/**
 * Rows in PostgreSQL's binary COPY format, written straight into large buffers. For bulk
 * loads on a hot path: nothing is formatted as text on this side or parsed back on the
 * server's (timestamps, UUIDs and numbers travel as their binary values), and the rows
 * leave no strings behind for the garbage collector. Each field must be written with the
 * method of its column's type, in the column order of the COPY; the server rejects a
 * mismatch ("incorrect binary data format"), it never misreads one.
 */
export class BinaryCopyWriter {
  private readonly chunks: Buffer[] = [];
  /** Whole buffers written into, to give back to the pool. */
  private readonly used: Buffer[] = [];
  private chunk: Buffer;
  private offset = 0;
  private readonly uuids = new Map<string, Uint8Array>();

  constructor(private readonly pool = new BufferPool()) {
    this.chunk = this.newChunk(0);
    this.ensure(BINARY_SIGNATURE.length + 8);
    this.offset += BINARY_SIGNATURE.copy(this.chunk, this.offset);
    this.int32(0); // flags
    this.int32(0); // header extension length
  }

  /** Room for `bytes` more in the current buffer; a row may span two buffers (COPY data is a stream). */
  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.chunk.length) return;
    this.chunks.push(this.chunk.subarray(0, this.offset));
    this.chunk = this.newChunk(bytes);
    this.offset = 0;
  }

  private newChunk(bytes: number): Buffer {
    const chunk = bytes <= this.pool.bufferBytes ? this.pool.take() : Buffer.allocUnsafe(bytes);
    this.used.push(chunk);
    return chunk;
  }

  // Byte by byte: for the few bytes of a field this is several times faster than Buffer's
  // checked write methods, which dominated the profile of a load.
  private int32(value: number): void {
    const chunk = this.chunk;
    let offset = this.offset;
    chunk[offset++] = value >>> 24;
    chunk[offset++] = value >>> 16;
    chunk[offset++] = value >>> 8;
    chunk[offset++] = value;
    this.offset = offset;
  }

  private null(): void {
    this.ensure(4);
    this.int32(-1);
  }

  startRow(fieldCount: number): void {
    this.ensure(2);
    this.chunk[this.offset++] = fieldCount >>> 8;
    this.chunk[this.offset++] = fieldCount;
  }

  text(value: string | null): void {
    if (value === null) return this.null();
    const length = value.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.ensure(4 + length * 3);
    const chunk = this.chunk;
    const start = this.offset + 4;
    let index = 0;
    // Most CDR text is short ASCII (numbers, codes): copied as is, without a native call.
    if (length <= 64) {
      for (; index < length; index++) {
        const code = value.charCodeAt(index);
        if (code >= 0x80) break;
        chunk[start + index] = code;
      }
    }
    const written = index === length ? length : chunk.write(value, start, "utf8");
    this.int32(written);
    this.offset += written;
  }

  bool(value: boolean | null): void {
    if (value === null) return this.null();
    this.ensure(5);
    this.int32(1);
    this.chunk[this.offset++] = value ? 1 : 0;
  }

  int4(value: number | null): void {
    if (value === null) return this.null();
    // Text COPY refused what does not fit; bytes would wrap silently.
    if ((value | 0) !== value) throw new RangeError(`not a 32-bit integer: ${value}`);
    this.ensure(8);
    this.int32(4);
    this.int32(value);
  }

  int8(value: bigint | null): void {
    if (value === null) return this.null();
    this.ensure(12);
    this.int32(8);
    const number = Number(value);
    if (Number.isSafeInteger(number)) {
      // The common case, in doubles: BigInt shifts allocate.
      const high = Math.floor(number / TWO_TO_32);
      this.int32(high);
      this.int32(number - high * TWO_TO_32);
    } else {
      this.int32(Number((value >> 32n) & 0xffffffffn));
      this.int32(Number(value & 0xffffffffn));
    }
  }

  /** A `timestamptz`: microseconds since 2000-01-01 UTC (exact in doubles for years 1715–2285). */
  timestamptz(value: Date | null): void {
    if (value === null) return this.null();
    const micros = (value.getTime() - POSTGRES_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_TO_32);
    this.ensure(12);
    this.int32(8);
    this.int32(high);
    this.int32(micros - high * TWO_TO_32);
  }

  /** A `uuid` from its text form (the 16 bytes of each distinct id are computed once). */
  uuid(value: string | null): void {
    if (value === null) return this.null();
    let bytes = this.uuids.get(value);
    if (bytes === undefined) {
      bytes = uuidBytes(value);
      this.uuids.set(value, bytes);
    }
    this.ensure(20);
    this.int32(16);
    const chunk = this.chunk;
    const offset = this.offset;
    for (let index = 0; index < 16; index++) chunk[offset + index] = bytes[index]!;
    this.offset = offset + 16;
  }

  /**
   * Fields encoded once by {@link encodeUuidFields}, copied as they are: for columns that hold
   * the same ids in every row of a load (a bulk load wrote three such UUIDs per row, and
   * writing them one by one was the largest single cost of encoding a row).
   */
  encoded(fields: EncodedFields): void {
    const bytes = fields.bytes;
    const length = bytes.length;
    this.ensure(length);
    const chunk = this.chunk;
    const offset = this.offset;
    for (let index = 0; index < length; index++) chunk[offset + index] = bytes[index]!;
    this.offset = offset + length;
  }

  /** The buffers of the whole stream, ending with the trailer; the writer is done. */
  finish(): Buffer[] {
    this.ensure(2);
    this.chunk[this.offset++] = 0xff;
    this.chunk[this.offset++] = 0xff;
    this.chunks.push(this.chunk.subarray(0, this.offset));
    return this.chunks;
  }

  /**
   * Gives the buffers back to the pool, once nothing reads the stream any more (a COPY that
   * has completed). The array {@link finish} returned is emptied.
   */
  release(): void {
    this.pool.give(this.used.splice(0));
    this.chunks.length = 0;
  }
}

/**
 * {@link copyTextChunks} over several connections at once, each taking the next chunk when
 * it is ready for more: the server parses, checks and indexes the rows on as many cores.
 * Each connection's COPY is its own transaction, so when one fails the others stop taking
 * chunks and what they loaded stays: the caller removes it (the first error is rethrown
 * once every COPY has ended and the connections are usable again).
 */
export async function copyTextChunksInParallel(
  clients: readonly (pg.PoolClient | pg.Client)[],
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string>,
): Promise<void> {
  const source = chunks[Symbol.asyncIterator]();
  let stopped = false;
  // Calls to an async generator's next() queue up, so each chunk goes to exactly one COPY.
  async function* share(): AsyncGenerator<string> {
    while (!stopped) {
      const next = await source.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const results = await Promise.allSettled(
    clients.map(async (client) => {
      try {
        await copyTextChunks(client, table, columns, share());
      } catch (error) {
        stopped = true;
        throw error;
      }
    }),
  );
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    // Releases the input (e.g. closes the file) when it was not read to the end.
    await source.return?.(undefined);
    throw failure.reason;
  }
}
