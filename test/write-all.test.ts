import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {writeAll} from '../source/core/write-all.js';
import {builtCore, cliUnderLimit, moduleUnderLimit} from './helpers/file-size-limit.js';
import {expectOneLineError} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/** Writes `size` bytes (a string or a Buffer) with writeAll in a child limited to `limit` bytes per file. */
function writeUnderLimit(file: string, kind: 'string' | 'buffer', size: number, limit: number) {
	const data = kind === 'string' ? `'é'.repeat(${size / 2})` : `Buffer.alloc(${size}, 7)`;
	const script = [
		`import fs from 'node:fs';`,
		`import {writeAll} from ${JSON.stringify(builtCore('write-all.js'))};`,
		`const fd = fs.openSync(${JSON.stringify(file)}, 'w');`,
		`try { writeAll(fd, ${data}); console.log('written'); } catch (error) { console.log('failed', error.code); process.exitCode = 3; }`,
	].join('\n');
	return moduleUnderLimit(script, limit);
}

describe('writeAll', () => {
	for (const kind of ['string', 'buffer'] as const) {
		it(`fails with the error of the write that stops it, never a short file passed for whole (${kind})`, () => {
			const file = path.join(tempDir(), `${kind}.bin`);
			// 80 KiB + 1 byte: the limit cuts the string inside a two-byte character.
			const child = writeUnderLimit(file, kind, 100 * 1024, 80 * 1024 + 1);
			expect(child.error).toBeUndefined();
			expect(child.stdout.trim()).toBe('failed EFBIG');
			expect(child.status).toBe(3);
			expect(fs.statSync(file).size).toBe(80 * 1024 + 1);
		});
	}

	it('writes every byte of a string as UTF-8 and of a buffer, at the file position', () => {
		const file = path.join(tempDir(), 'whole.bin');
		const text = `line ${'é🛟'.repeat(50_000)}\n`;
		const bytes = Buffer.from([0, 255, 10, 13, 0xe9]);
		const fd = fs.openSync(file, 'w');
		try {
			writeAll(fd, text);
			writeAll(fd, bytes);
			writeAll(fd, '');
		} finally {
			fs.closeSync(fd);
		}
		expect(fs.readFileSync(file).equals(Buffer.concat([Buffer.from(text, 'utf8'), bytes]))).toBe(true);
	});

	it('a backup past a file size limit is one line and exit 4 (disk-full), never an internal error', async () => {
		const dir = tempDir();
		const dataDir = path.join(dir, 'gateway');
		await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 3});
		// This demo's memory entries dump to ~480 KB: past the limit.
		const out = path.join(dir, 'backup');
		const child = cliUnderLimit(300_000, ['backup', 'create', '--data-dir', dataDir, '--out', out, '--format', 'dir', '--json']);
		expectOneLineError(child, 4, /file too large \(past the file system's largest file or the file size limit, ulimit -f\)$/);
		expect(JSON.parse(child.stdout).error.code).toBe('disk-full');
		expect(fs.existsSync(out)).toBe(false);
	});
});
