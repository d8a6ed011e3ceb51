/**
 * Deflate on every core, output in order (what pigz does).
 *
 * Input is cut into blocks; each block is deflated by `zlib.deflateRaw` on the libuv threadpool,
 * primed with the 32 KiB of input before it as its dictionary (so matches reach back across the
 * cut and the ratio stays that of one stream) and ended with a sync flush (a byte-aligned empty
 * stored block), so the blocks' outputs concatenate into one valid raw deflate stream; the last
 * block ends with Z_FINISH (BFINAL). CRC-32 is taken in order with the native `zlib.crc32`.
 *
 * `OrderedOutput` holds what is to be written, in order: bytes known now, bytes a deflate job will
 * produce, and records built when their turn comes (knowing their offset). It bounds the jobs
 * running and the bytes waiting, so memory stays flat whatever the archive's size.
 */
import os from 'node:os';
import zlib from 'node:zlib';

export const BLOCK_SIZE = 256 * 1024;
const DICTIONARY_SIZE = 32 * 1024;

export type DeflateLevel = number;

/** Deflates one block: a sync-flushed piece of a stream, or its final piece. */
function deflateBlock(input: Buffer, dictionary: Buffer | undefined, final: boolean, level: DeflateLevel): Promise<Buffer> {
	// A block with no history needs no larger window than itself (deflateInit's cost is the window).
	const windowBits = dictionary ? 15 : Math.max(9, Math.min(15, Math.ceil(Math.log2(input.length + 262))));
	const chunkSize = Math.max(16 * 1024, input.length + (input.length >>> 6) + 1024);
	const flush = final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH;
	return new Promise((resolve, reject) => {
		zlib.deflateRaw(input, {level, windowBits, chunkSize, dictionary, finishFlush: flush}, (error, result) => {
			if (error) reject(error);
			// The result is a view of a chunkSize buffer: keep only its bytes while it waits its turn.
			else resolve(result.buffer.byteLength > 2 * result.length ? Buffer.from(result) : result);
		});
	});
}

/** One piece of output, in order: bytes now, bytes later (a deflate job), or a record built at its turn. */
type Piece = {data?: Buffer; job?: Promise<Buffer>; build?: (offset: number) => Buffer; charge: number};

export type OutputLimits = {
	/** Deflate jobs running at once (the threadpool's 4 threads are shared with file reads: leave one free). */
	maxRunning: number;
	/** Input bytes queued and not yet written, beyond which producers wait. */
	maxQueuedBytes: number;
};

export function defaultLimits(): OutputLimits {
	const cores = Math.max(1, os.availableParallelism());
	// One job more than cores keeps every core busy while the main thread hands out the next.
	// 8 blocks (2 MiB) keep the jobs fed; each queued block's input and output buffers live long
	// enough to reach V8's old space, where they wait for a full GC: a deeper queue cost ~10 MB RSS.
	return {maxRunning: Math.min(cores + 1, 3), maxQueuedBytes: 8 * BLOCK_SIZE};
}

const EMPTY = Buffer.alloc(0);

/** Largest batch of small pieces handed to the sink in one write. */
const BATCH_BYTES = 256 * 1024;

export class OrderedOutput {
	/** Bytes handed to the sink so far (the archive offset of the next piece). */
	offset = 0;
	private readonly queue: Piece[] = [];
	private head = 0;
	private queuedBytes = 0;
	private running = 0;
	/** Deflate jobs queued, started in order as running ones finish. */
	private readonly starts: Array<() => void> = [];
	private failed: Error | undefined;
	private ended = false;
	private readonly waiters = new Set<() => void>();
	private wakeDrain: (() => void) | undefined;
	private readonly drained: Promise<void>;

	constructor(
		private readonly sink: (chunk: Buffer) => Promise<void>,
		private readonly limits: OutputLimits = defaultLimits(),
	) {
		this.drained = this.drain();
		this.drained.catch(() => undefined);
	}

	/** The first failure (a deflate job, the sink), if any. */
	failure(): Error | undefined {
		return this.failed;
	}

	fail(error: Error): void {
		this.failed ??= error;
		this.wake();
	}

	/** Bytes to write as they are. */
	push(data: Buffer): void {
		this.enqueue({data, charge: data.length});
	}

	/** A record built when its turn to be written comes, from the offset it is written at. */
	pushRecord(build: (offset: number) => Buffer): void {
		this.enqueue({build, charge: 0});
	}

	/** Resolves with the offset once everything queued before it has its place (is written or batched). */
	reached(): Promise<number> {
		return new Promise((resolve, reject) => {
			const watch = () => (this.failed ? reject(this.failed) : this.waiters.add(watch));
			this.waiters.add(watch);
			this.pushRecord(offset => {
				this.waiters.delete(watch);
				resolve(offset);
				return EMPTY;
			});
		});
	}

	/**
	 * Deflates `input` on the threadpool and queues its output. Waits first while too many bytes
	 * wait; the job starts as soon as fewer than maxRunning run (so the caller reads on while the
	 * threadpool works through what is queued). `onDeflated` sees the compressed bytes before they
	 * are written (a record after them sees their size) and may frame them (return what is
	 * written instead).
	 */
	async deflate(input: Buffer, dictionary: Buffer | undefined, final: boolean, level: DeflateLevel, onDeflated: (compressed: Buffer) => Buffer | void): Promise<void> {
		await this.room();
		const job = new Promise<Buffer>((resolve, reject) => {
			this.starts.push(() => {
				deflateBlock(input, dictionary, final, level).then(
					compressed => {
						this.running--;
						this.startJobs();
						try {
							resolve(onDeflated(compressed) ?? compressed);
						} catch (error) {
							reject(error as Error);
						}
					},
					(error: Error) => {
						this.running--;
						this.fail(error);
						reject(error);
					},
				);
			});
		});
		job.catch(() => undefined);
		this.enqueue({job, charge: input.length});
		this.startJobs();
	}

	private startJobs(): void {
		while (this.running < this.limits.maxRunning && this.starts.length > 0 && !this.failed) {
			this.running++;
			this.starts.shift()!();
		}
	}

	/** Waits while too many bytes are queued. */
	async room(): Promise<void> {
		for (;;) {
			if (this.failed) throw this.failed;
			if (this.queuedBytes <= this.limits.maxQueuedBytes) return;
			await new Promise<void>(resolve => this.waiters.add(resolve));
		}
	}

	/** Resolves once everything queued is handed to the sink. */
	async end(): Promise<void> {
		this.ended = true;
		this.wake();
		await this.drained;
		if (this.failed) throw this.failed;
	}

	private enqueue(piece: Piece): void {
		if (this.failed) throw this.failed;
		if (this.ended) throw new Error('OrderedOutput: write after end');
		this.queue.push(piece);
		this.queuedBytes += piece.charge;
		this.wakeDrain?.();
	}

	private wake(): void {
		const waiters = [...this.waiters];
		this.waiters.clear();
		for (const waiter of waiters) waiter();
		this.wakeDrain?.();
	}

	/** The next piece, waiting for one to be queued; undefined once ended and empty, or failed. */
	private async next(): Promise<Piece | undefined> {
		for (;;) {
			if (this.failed) return undefined;
			if (this.head < this.queue.length) {
				const piece = this.queue[this.head]!;
				this.queue[this.head++] = undefined as never;
				if (this.head > 4096 && this.head * 2 > this.queue.length) {
					this.queue.splice(0, this.head);
					this.head = 0;
				}
				return piece;
			}
			if (this.ended) return undefined;
			await new Promise<void>(resolve => (this.wakeDrain = resolve));
			this.wakeDrain = undefined;
		}
	}

	/** Writes the pieces in order, small ones batched, releasing their room as they go. */
	private async drain(): Promise<void> {
		let batch: Buffer[] = [];
		let batchBytes = 0;
		let charged = 0;
		const flush = async () => {
			if (batchBytes === 0) return;
			const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
			batch = [];
			batchBytes = 0;
			await this.sink(chunk);
			this.queuedBytes -= charged;
			charged = 0;
			this.wake();
		};
		try {
			for (;;) {
				// Whatever is ready now goes out together; before waiting on a job, flush.
				const ready = this.head < this.queue.length;
				if (!ready) await flush();
				const piece = await this.next();
				if (!piece) break;
				let data: Buffer;
				if (piece.data) data = piece.data;
				else if (piece.build) data = piece.build(this.offset);
				else {
					if (batchBytes > 0) await flush();
					data = await piece.job!;
				}
				this.offset += data.length;
				batch.push(data);
				batchBytes += data.length;
				charged += piece.charge;
				if (batchBytes >= BATCH_BYTES) await flush();
			}
			if (!this.failed) await flush();
		} catch (error) {
			this.fail(error as Error);
		}
	}
}

/**
 * One raw deflate stream (a zip entry's data, or a gzip member's body) cut into blocks deflated
 * in parallel; its CRC-32 and sizes are taken as it goes.
 */
export class DeflateStream {
	crc = 0;
	size = 0;
	compressedSize = 0;
	private pending: Buffer[] = [];
	private pendingBytes = 0;
	/** The last 32 KiB (at most) of input already submitted: the next block's dictionary. */
	private history: Buffer | undefined;

	constructor(
		private readonly output: OrderedOutput,
		private level: DeflateLevel,
	) {}

	/**
	 * Deflates what follows at `level` (0: stored blocks, for data known not to shrink); what came
	 * before is submitted first at the old level, as a block of its own.
	 */
	async setLevel(level: DeflateLevel): Promise<void> {
		if (level === this.level) return;
		if (this.pendingBytes > 0) await this.submit(this.take(this.pendingBytes), false);
		this.level = level;
	}

	/**
	 * Takes `data` (kept by reference until deflated: do not reuse it). What is pending goes out
	 * as one block once it reaches BLOCK_SIZE and more follows (the last block is kept for end()):
	 * whole pieces, so a file read in BLOCK_SIZE blocks is deflated from its own buffers (cutting
	 * at exactly BLOCK_SIZE copied every block into a new 2-block buffer, the stream's largest
	 * garbage). A block holds at most 2 * BLOCK_SIZE bytes.
	 */
	async write(data: Buffer): Promise<void> {
		if (data.length === 0) return;
		this.crc = zlib.crc32(data, this.crc);
		this.size += data.length;
		if (this.pendingBytes >= BLOCK_SIZE) await this.submit(this.take(this.pendingBytes), false);
		this.pending.push(data);
		this.pendingBytes += data.length;
		while (this.pendingBytes > 2 * BLOCK_SIZE) await this.submit(this.take(BLOCK_SIZE), false);
	}

	/** Deflates what is left as the final block; resolves once queued (not yet written). */
	async end(): Promise<void> {
		await this.submit(this.take(this.pendingBytes), true);
	}

	/** The first `bytes` pending (a view of the first piece if it holds them, else a copy). */
	private take(bytes: number): Buffer {
		const first = this.pending[0];
		const whole = first && first.length >= bytes ? first : Buffer.concat(this.pending, this.pendingBytes);
		const block = whole.subarray(0, bytes);
		const rest = whole.subarray(bytes);
		this.pending = whole === first ? (rest.length > 0 ? [rest, ...this.pending.slice(1)] : this.pending.slice(1)) : rest.length > 0 ? [rest] : [];
		this.pendingBytes -= bytes;
		return block;
	}

	private async submit(block: Buffer, final: boolean): Promise<void> {
		const dictionary = this.history;
		this.history = block.length >= DICTIONARY_SIZE || !dictionary ? block.subarray(-DICTIONARY_SIZE) : Buffer.concat([dictionary, block]).subarray(-DICTIONARY_SIZE);
		await this.output.deflate(block, dictionary, final, this.level, compressed => {
			this.compressedSize += compressed.length;
		});
	}
}
