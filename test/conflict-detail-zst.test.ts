/**
 * The side-by-side view of one conflict reads a tar.zst only up to the entity (as it does a zip
 * or a folder), and the zstd child it started is gone once the detail is back.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {ArchiveSource} from '../source/core/archive/archive-reader.js';
import {getConflictDetail} from '../source/core/restore/index.js';
import {backupOf, copyGateway, demoGateway, query} from './restore-support.js';

const hasZstd = spawnSync('zstd', ['--version']).status === 0;

/** This process's zstd children still alive (Linux /proc). */
function zstdChildren(): number[] {
	return fs.readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number).filter(pid => {
		try {
			const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			return stat.includes('(zstd)') && Number(fields[1]) === process.pid && fields[0] !== 'Z';
		} catch {
			return false;
		}
	});
}

async function until(condition: () => boolean, what: string): Promise<void> {
	for (let tries = 0; !condition(); tries++) {
		if (tries > 500) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 10));
	}
}

describe.skipIf(!hasZstd || !fs.existsSync('/proc/self/stat'))('conflict detail of a tar.zst backup', () => {
	it('stops reading at the entity and leaves no zstd child', async () => {
		const original = await demoGateway({tenants: 4, seed: 94});
		const backup = await backupOf(original, {format: 'tar.zst'});
		const size = fs.statSync(backup.path).size;
		let read = 0;
		const source: ArchiveSource = {
			format: 'tar.zst',
			label: backup.path,
			open: async () => fs.createReadStream(backup.path, {highWaterMark: 16 * 1024}).on('data', chunk => (read += chunk.length)),
		};
		const dataDir = copyGateway(original);
		const user = query<{id: string; display_name: string}>(dataDir, 'SELECT id FROM users ORDER BY id LIMIT 1')[0]!;
		const detail = await getConflictDetail({source, dataDir}, 'users', 'users', user.id);
		expect(detail.id).toBe(user.id);
		expect(detail.backup).toBeTruthy();
		await until(() => zstdChildren().length === 0, 'the zstd child to be gone');
		console.log(`conflict detail read ${read} of ${size} bytes of ${path.basename(backup.path)}`);
		// Idle, ~16 % of the archive is read; on a loaded machine the zstd child reads on through its
		// pipe until it is killed (81 % seen at load 15): never the whole archive.
		expect(read).toBeLessThan(size);
	}, 60_000);
});
