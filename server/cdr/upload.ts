import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { receiveCdrFile, spoolTempPath, uploadRemotePath, type TReceivedFile } from "./files";

/**
 * A CDR file uploaded by an admin takes the same road as one fetched by a poll: streamed to
 * a temp file in the spool (never held in memory), then {@link receiveCdrFile} hashes it and
 * records it exactly once — an upload of a file a poll already brought is a DUPLICATE, and an
 * upload of other content under the name of a polled file is HELD.
 */

/** 2 GiB: a month of a busy switch's Master.csv; larger files should be split by day. */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

class TooLarge extends Error {
  override name = "TooLarge";
}

function formatLimit(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/** A plain file name: the upload records it as `upload:<name>`, so a path would mislead. */
export function checkUploadFileName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw AppError.invalidField("file", "The file needs a name");
  if (name.length > 255) throw AppError.invalidField("file", "The file name is longer than 255 characters");
  if (/[/\\\0]/.test(name) || name === "." || name === "..") {
    throw AppError.invalidField("file", "Give a file name without folders (no / or \\)");
  }
  return name;
}

export async function uploadCdrFile(options: {
  tenantId: string;
  actor: TActor;
  sourceId: string;
  fileName: string;
  body: WebReadableStream<Uint8Array> | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  maxBytes?: number;
}): Promise<TReceivedFile> {
  const { tenantId, actor } = options;
  const maxBytes = options.maxBytes ?? MAX_UPLOAD_BYTES;
  const fileName = checkUploadFileName(options.fileName);
  // Before reading a byte: a wrong source should not cost a 2 GB transfer to the spool.
  const source = await db().cdrSource.findFirst({ where: { tenantId, id: options.sourceId }, select: { id: true, name: true } });
  if (!source) throw AppError.invalidField("sourceId", "Choose one of your CDR sources");

  const temp = await spoolTempPath();
  let size = 0;
  const hash = createHash("sha256");
  const limitAndHash = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) return callback(new TooLarge());
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const input =
    Symbol.asyncIterator in options.body
      ? Readable.from(options.body as AsyncIterable<Uint8Array>, { objectMode: false })
      : Readable.fromWeb(options.body as WebReadableStream<Uint8Array>);
  try {
    await pipeline(input, limitAndHash, createWriteStream(temp, { flags: "wx" }));
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof TooLarge) {
      throw AppError.invalidField("file", `The file is larger than ${formatLimit(maxBytes)}. Split it (for example by day) and upload the parts.`);
    }
    throw error;
  }
  if (size === 0) {
    await rm(temp, { force: true });
    throw AppError.invalidField("file", "The file is empty");
  }

  const received = await receiveCdrFile({
    tenantId,
    sourceId: source.id,
    fileName,
    remotePath: uploadRemotePath(fileName),
    remoteModifiedAt: null,
    localPath: temp,
    content: { size, sha256: hash.digest("hex") },
    uploadedById: actor.userId,
  });
  await recordAudit(db(), {
    tenantId,
    actor,
    action: "cdr.file.upload",
    targetType: "cdr_file",
    targetId: received.id,
    after: { fileName, sourceId: source.id, source: source.name, size, status: received.status },
  });
  return received;
}
