import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {hashFileSha256} from '../source/core/backup/file-hash.js';
import {tempDir} from './helpers/temp-dir.js';

describe('hashFileSha256', () => {
	it('hashes empty, small, 1 MiB-boundary and multi-read files as their bytes', async () => {
		const dir = tempDir();
		for (const size of [0, 1, 65_536, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 7]) {
			const file = path.join(dir, `f${size}`);
			const bytes = crypto.randomBytes(size);
			fs.writeFileSync(file, bytes);
			expect(await hashFileSha256(file), `size ${size}`).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
		}
	});

	it('rejects a missing file and a folder, and leaves no handle open', async () => {
		const dir = tempDir();
		await expect(hashFileSha256(path.join(dir, 'absent'))).rejects.toMatchObject({code: 'ENOENT'});
		await expect(hashFileSha256(dir)).rejects.toMatchObject({code: 'EISDIR'});
		const open = () => fs.readdirSync('/proc/self/fd').length;
		const before = open();
		for (let index = 0; index < 20; index++) await hashFileSha256(dir).catch(() => undefined);
		fs.writeFileSync(path.join(dir, 'small'), crypto.randomBytes(1000));
		for (let index = 0; index < 20; index++) await hashFileSha256(path.join(dir, 'small'));
		fs.writeFileSync(path.join(dir, 'big'), crypto.randomBytes(2 * 1024 * 1024));
		for (let index = 0; index < 20; index++) await hashFileSha256(path.join(dir, 'big'));
		expect(open()).toBe(before);
	});
});
