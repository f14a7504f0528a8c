import { DomainError } from '@keel/core';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** Uploads are stored in pieces of this size, so a reader can start at any byte offset. */
export const UPLOAD_PIECE_BYTES = 1 << 20;

export class UploadTooLargeError extends DomainError {
  constructor(maxBytes: number) {
    // The rest of the body is not read: the connection closes after the answer.
    super(
      'too_large',
      'UPLOAD.TOO_LARGE',
      `The upload is larger than ${maxBytes} bytes.`,
      undefined,
      {
        connection: 'close',
      },
    );
  }
}

/**
 * Job input files, kept in the database in fixed-size pieces: any worker can read them
 * after the process that received them is gone, and a resumed job reads from its offset.
 */
@Injectable()
export class UploadStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores `body` as it arrives (the database write is the backpressure). Past `maxBytes`
   * it stops reading, removes what it stored and throws `UploadTooLargeError`.
   */
  async write(jobId: string, body: AsyncIterable<Buffer>, maxBytes: number): Promise<number> {
    let seq = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    try {
      for await (const chunk of body) {
        total += chunk.length;
        if (total > maxBytes) throw new UploadTooLargeError(maxBytes);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < UPLOAD_PIECE_BYTES) continue;
        const joined = Buffer.concat(pending);
        let start = 0;
        for (; joined.length - start >= UPLOAD_PIECE_BYTES; start += UPLOAD_PIECE_BYTES) {
          await this.insert(jobId, seq++, joined.subarray(start, start + UPLOAD_PIECE_BYTES));
        }
        pending = [joined.subarray(start)];
        pendingBytes = joined.length - start;
      }
      if (pendingBytes > 0) await this.insert(jobId, seq, Buffer.concat(pending));
      return total;
    } catch (error) {
      await this.delete(jobId).catch(() => undefined);
      throw error;
    }
  }

  /** The stored bytes from `offset` on, a piece at a time. */
  async *read(jobId: string, offset: number): AsyncGenerator<Buffer> {
    let skip = offset % UPLOAD_PIECE_BYTES;
    for (let seq = Math.floor(offset / UPLOAD_PIECE_BYTES); ; seq++) {
      const rows = await this.dataSource.query<Array<{ data: Uint8Array }>>(
        'SELECT data FROM job_uploads WHERE job_id = $1 AND seq = $2',
        [jobId, seq],
      );
      const data = rows[0]?.data;
      if (data === undefined) return;
      const piece = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      yield skip > 0 ? piece.subarray(skip) : piece;
      skip = 0;
    }
  }

  /** With `manager`, inside that transaction: a job that ends then never keeps its upload. */
  async delete(jobId: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query('DELETE FROM job_uploads WHERE job_id = $1', [jobId]);
  }

  /** Pieces of uploads that never became a job (the receiving process died mid-upload). */
  async deleteAbandoned(olderThanSeconds: number): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM job_uploads u
        WHERE u.created_at < now() - make_interval(secs => $1)
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = u.job_id)`,
      [olderThanSeconds],
    );
  }

  private async insert(jobId: string, seq: number, data: Buffer): Promise<void> {
    await this.dataSource.query('INSERT INTO job_uploads (job_id, seq, data) VALUES ($1, $2, $3)', [
      jobId,
      seq,
      data,
    ]);
  }
}
