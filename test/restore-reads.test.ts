import fs from 'node:fs';
import {Transform} from 'node:stream';
import {beforeAll, describe, expect, it} from 'vitest';
import type {ArchiveSource} from '../source/core/archive/archive-reader.js';
import {applyRestore} from '../source/core/restore/index.js';
import {backupOf, copyGateway, demoGateway} from './restore-support.js';

/**
 * A restore reads the archive twice in all: once to verify it against its manifest, once to plan
 * and apply (issue 13: it used to read it a third time, planning before applying). Counted on a
 * tar.gz, which is streamed from its first byte at every read: the compressed bytes a restore
 * pulls stay within two archives' worth (plus the small reads of metadata.json at its start).
 */

type Counted = {source: ArchiveSource; bytes: () => number};

function counting(source: ArchiveSource): Counted {
	if (source.format !== 'tar.gz') throw new Error('a tar.gz backup is expected');
	let bytes = 0;
	const open = source.open;
	return {
		bytes: () => bytes,
		source: {
			...source,
			open: async () =>
				(await open()).pipe(
					new Transform({
						transform(chunk: Buffer, _encoding, callback) {
							bytes += chunk.length;
							callback(null, chunk);
						},
					}),
				),
		},
	};
}

describe('restore reads', () => {
	let gateway: string;
	let backup: {path: string; source: ArchiveSource};

	beforeAll(async () => {
		gateway = await demoGateway({tenants: 2, seed: 5});
		backup = await backupOf(gateway, {format: 'tar.gz'});
	}, 120_000);

	for (const mode of ['additive', 'replace'] as const) {
		it(`a ${mode} restore reads the archive once to verify and once to plan and apply`, async () => {
			const target = copyGateway(gateway);
			const counted = counting(backup.source);
			const result = await applyRestore({source: counted.source, dataDir: target, mode});
			const size = fs.statSync(backup.path).size;
			// Restoring a backup of this very gateway: every row identical, nothing deleted.
			expect(result.applied.new + result.applied.conflicts + result.applied.deleted).toBe(0);
			expect(counted.bytes()).toBeGreaterThanOrEqual(2 * size);
			expect(counted.bytes()).toBeLessThan(2.5 * size);
		}, 120_000);
	}
});
