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

/**
 * Decompresses the start of a tar.zst (a few KiB of a possibly cut-short stream) to at most
 * `maxBytes`: what the prefix decodes to, for telling a Lifeboat backup by its first entry.
 */
export function zstdPrefix(head: Buffer, maxBytes: number): Buffer {
	const result = spawnSync(zstdProgram('Reading a tar.zst backup'), ['-q', '-d', '-c'], {input: head, maxBuffer: maxBytes, timeout: 10_000});
	return Buffer.isBuffer(result.stdout) ? result.stdout.subarray(0, maxBytes) : Buffer.alloc(0);
}
