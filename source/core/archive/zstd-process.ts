/**
 * tar.zst goes through the system `zstd` program (no npm binding without prebuilt downloads
 * exists for Node 20): a compressor child for backups, a decompressor child for reading. Each
 * child is killed when its stream is destroyed (abort, error, a reader that stops early), so no
 * zstd outlives the work it was started for.
 */
import {spawn, spawnSync, type ChildProcessByStdio} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {Duplex, type Readable, type Writable} from 'node:stream';
import {LifeboatError} from '../errors.js';

/** The 4 magic bytes of a zstd frame (28 B5 2F FD). */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

export function hasZstdMagic(head: Buffer): boolean {
	return head.length >= 4 && head.subarray(0, 4).equals(ZSTD_MAGIC);
}

/** The `zstd` program on PATH, or a usage error (exit 2) saying what to install. */
export function zstdProgram(why: string, alternative = ''): string {
	for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
		if (!dir) continue;
		const candidate = path.join(dir, 'zstd');
		try {
			fs.accessSync(candidate, fs.constants.X_OK);
			return candidate;
		} catch {
			// Not here.
		}
	}
	throw new LifeboatError('usage', `${why} needs the zstd program, which is not installed (install the zstd package, e.g. apt-get install zstd)${alternative}`);
}

/** Whether the `zstd` program is on PATH (tar.zst can be made and read here). */
export function zstdInstalled(): boolean {
	try {
		zstdProgram('tar.zst');
		return true;
	} catch {
		return false;
	}
}

type ZstdChild = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * A duplex over a zstd child: what is written goes to its stdin, what it prints comes out. A
 * non-zero exit fails the stream with zstd's own message; destroying the stream kills the child.
 */
function zstdDuplex(args: string[], program: string, describe: (message: string) => Error): Duplex {
	const child: ZstdChild = spawn(program, args, {stdio: ['pipe', 'pipe', 'pipe']});
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => {
		if (stderr.length < 4096) stderr += chunk.toString('utf8');
	});
	const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
	const duplex = new Duplex({
		write(chunk: Buffer, _encoding, callback) {
			if (child.stdin.write(chunk)) callback();
			else child.stdin.once('drain', () => callback());
		},
		final(callback) {
			child.stdin.end(callback);
		},
		read() {
			child.stdout.resume();
		},
		destroy(error, callback) {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			callback(error);
		},
	});
	child.stdout.on('data', (chunk: Buffer) => {
		if (!duplex.push(chunk)) child.stdout.pause();
	});
	// A child that stops reading (it failed) must not leave the writer hanging: the exit reports it.
	child.stdin.on('error', () => {});
	child.on('error', error => duplex.destroy(describe(error.message)));
	child.stdout.on('end', () => {
		void exited.then(code => {
			if (code === 0) duplex.push(null);
			else if (!duplex.destroyed) duplex.destroy(describe(stderr.trim().split('\n').pop()?.replace(/^zstd: /, '').replace(/^\*\*\* /, '').replace(/^\/\*stdin\*\\\s*:\s*/, '') || `zstd exited with ${code}`));
		});
	});
	return duplex;
}

/** zstd's level for each deflate level `--compression` picks (fast 1, default 6, best 9). */
function zstdLevel(deflateLevel: number | undefined): number {
	if (deflateLevel === undefined || deflateLevel === 6) return 3;
	return deflateLevel < 6 ? 1 : 19;
}

/** Compresses a tar stream (all cores; zstd's default level 3, 1 for fast, 19 for best). */
export function zstdCompressor(deflateLevel?: number): Duplex {
	return zstdDuplex(['-q', '-c', '-T0', `-${zstdLevel(deflateLevel)}`], zstdProgram('--format tar.zst', ', or use --format zip or tar.gz'), message => new Error(`zstd failed while compressing: ${message}`));
}

/** Decompresses a tar.zst's bytes; damage fails the stream with zstd's own reason. */
export function zstdDecompressor(label: string): Duplex {
	return zstdDuplex(['-q', '-d', '-c'], zstdProgram(`Reading ${path.basename(label)} (a tar.zst backup)`), message => new LifeboatError('corrupt-archive', `${path.basename(label)} is corrupt or truncated (zstd: ${message.slice(0, 200)})`));
}

/** Most time one head decode may take before its child is killed (a few KiB to 8 MiB of input). */
const HEAD_DECODE_TIMEOUT_MS = 10_000;

/**
 * Decompresses the start of a tar.zst (a few KiB of a possibly cut-short stream) to at most
 * `maxBytes`: what the prefix decodes to, for telling a Lifeboat backup by its first entry.
 * Bounded: zstd is killed past `maxBytes` of output (spawnSync's maxBuffer) or 10 s.
 */
export function zstdPrefix(head: Buffer, maxBytes: number): Buffer {
	const result = spawnSync(zstdProgram('Telling a tar.zst backup from other files'), ['-q', '-d', '-c'], {input: head, maxBuffer: maxBytes, timeout: HEAD_DECODE_TIMEOUT_MS, killSignal: 'SIGKILL'});
	return Buffer.isBuffer(result.stdout) ? result.stdout.subarray(0, maxBytes) : Buffer.alloc(0);
}

/** What a head decode gave: its bytes, and zstd's complaint other than the head being cut short. */
export type ZstdHead = {bytes: Buffer; error?: string};

/**
 * Decodes a possibly cut-short tar.zst head without blocking: the child is killed once `wanted`
 * bytes are out (a bomb costs no more), after 10 s, or when the input is consumed and it exits.
 * A head cut inside a block is not an error (the bytes decoded so far are returned).
 */
export function decodeZstdHead(head: Buffer, wanted: number, label: string): Promise<ZstdHead> {
	const program = zstdProgram(`Reading ${path.basename(label)} (a tar.zst backup)`);
	return new Promise(resolve => {
		const child: ZstdChild = spawn(program, ['-q', '-d', '-c'], {stdio: ['pipe', 'pipe', 'pipe']});
		const chunks: Buffer[] = [];
		let total = 0;
		let stderr = '';
		let settled = false;
		const timer = setTimeout(() => finish(`no output within ${HEAD_DECODE_TIMEOUT_MS / 1000} s`), HEAD_DECODE_TIMEOUT_MS);
		function finish(error?: string) {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			resolve({bytes: Buffer.concat(chunks).subarray(0, wanted), error});
		}
		child.stdout.on('data', (chunk: Buffer) => {
			chunks.push(chunk);
			total += chunk.length;
			if (total >= wanted) finish();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			if (stderr.length < 4096) stderr += chunk.toString('utf8');
		});
		child.stdin.on('error', () => {});
		child.on('error', error => finish(error.message));
		child.on('close', code => {
			const message = stderr.trim().split('\n').pop() ?? '';
			finish(code === 0 || /premature end|truncated/i.test(message) ? undefined : message.replace(/^.*?:\s*/, '').slice(0, 200) || `zstd exited with ${code}`);
		});
		child.stdin.end(head);
	});
}

/**
 * Where the first block of a zstd frame ends (its frame header, block header and block), read
 * from the frame's first bytes; undefined when they are not a zstd frame's. zstd decodes whole
 * blocks only (128 KiB of output at most), so a head shorter than this decodes to nothing.
 */
export function zstdFirstBlockEnd(head: Buffer): number | undefined {
	if (!hasZstdMagic(head) || head.length < 5) return undefined;
	const descriptor = head[4]!;
	const singleSegment = (descriptor >> 5) & 1;
	const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
	const blockStart = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]! + contentSizeBytes;
	if (head.length < blockStart + 3) return blockStart + 3;
	const blockHeader = head.readUIntLE(blockStart, 3);
	const type = (blockHeader >> 1) & 3;
	// A raw block holds its bytes, an RLE block one byte repeated; a reserved type is damage.
	return blockStart + 3 + (type === 1 ? 1 : blockHeader >>> 3);
}
