import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, getConflictDetail, type ConflictDetail} from '../source/core/restore/index.js';
import {listQuarantineEntries, showQuarantineEntry} from '../source/core/quarantine/quarantine.js';
import {backupOf, copyGateway, demoGateway, query} from './restore-support.js';

/** Issue 9 §2.5: a file conflict marks the rows that differ (size, sha256, preview), not a "content" row nobody sees. */

function expectMarkedRows(detail: Pick<ConflictDetail, 'backup' | 'live' | 'changed'>, sizeDiffers: boolean): void {
	for (const field of detail.changed) expect(Object.keys(detail.backup), field).toContain(field);
	expect(detail.changed).toContain('sha256');
	expect(detail.changed).toContain('preview');
	expect(detail.changed.includes('size')).toBe(sizeDiffers);
	expect(detail.changed).not.toContain('path');
}

describe('file conflicts, side by side', () => {
	let original: string;
	let backup: Awaited<ReturnType<typeof backupOf>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 1, seed: 93});
		backup = await backupOf(original, {format: 'zip'});
	});

	for (const sizeDiffers of [true, false]) {
		it(`marks sha256 and preview${sizeDiffers ? ' and size' : ' (same size)'}, in the dry run and in quarantine`, async () => {
			const dataDir = copyGateway(original);
			const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
			const soul = path.join(dataDir, 'agents', agent, 'SOUL.md');
			const text = fs.readFileSync(soul, 'utf8');
			fs.writeFileSync(soul, sizeDiffers ? `${text}Edited at the end.\n` : `${text.slice(0, -2)}X\n`);
			const target = `agents/${agent}/SOUL.md`;
			const options = {source: backup.source, dataDir};
			expectMarkedRows(await getConflictDetail(options, 'agents', 'files', target), sizeDiffers);
			const result = await applyRestore(options);
			const entry = (await listQuarantineEntries(dataDir, result.restoreId)).find(item => item.id === target)!;
			expectMarkedRows(await showQuarantineEntry(dataDir, result.restoreId, entry.entryId), sizeDiffers);
		});
	}
});
