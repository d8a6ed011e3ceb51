import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {acceptQuarantine} from '../source/core/quarantine/quarantine.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {backupOf, copyGateway, demoGateway, freshGateway, query} from './restore-support.js';

/** An agent's notes with credentials pasted into the prose and a code block. */
const SOUL = [
	'# Ledger',
	'',
	'I keep the books for the finance team.',
	'',
	'Deploy with `OPENAI_API_KEY=sk-proj-LIVEmd01abcdefghijklmnopqrst node sync.js`.',
	'',
	'```yaml',
	'db:',
	'  password: LIVEmd02',
	'```',
	'',
].join('\n');
const NOTES = 'Reach the ledger API at https://ledger:LIVEmd03@api.example/v1 (ask ops).\n';
/** Notes saved by a Windows editor as UTF-16LE with a byte order mark. */
const WIDE = Buffer.from('\uFEFF# Keys\r\nOPENAI_API_KEY=sk-proj-LIVEmd04abcdefghijklmnopqrst\r\n', 'utf16le');

describe('credentials in agent markdown and text files', () => {
	let original: string;
	let agent: string;
	let soul: string;
	let notes: string;
	let backup: Awaited<ReturnType<typeof backupOf>>;
	let redacted: Array<{field: string; count: number; action: string}>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 1, seed: 93});
		agent = query<{id: string}>(original, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		soul = `agents/${agent}/SOUL.md`;
		notes = `agents/${agent}/notes/ledger.txt`;
		fs.writeFileSync(path.join(original, soul), SOUL);
		fs.mkdirSync(path.join(original, 'agents', agent, 'notes'));
		fs.writeFileSync(path.join(original, notes), NOTES);
		fs.writeFileSync(path.join(original, 'agents', agent, 'wide.txt'), WIDE);
		backup = await backupOf(original, {format: 'dir'});
		redacted = JSON.parse(fs.readFileSync(path.join(backup.path, 'metadata.json'), 'utf8')).redacted;
	});

	it('are scrubbed in the backup and listed, file by file with their lines, to re-enter', () => {
		const backedUp = fs.readFileSync(path.join(backup.path, soul), 'utf8');
		expect(backedUp).not.toMatch(/LIVEmd0\d/);
		expect(backedUp).toBe(SOUL.replace('sk-proj-LIVEmd01abcdefghijklmnopqrst', REDACTED_MARKER).replace('LIVEmd02', REDACTED_MARKER));
		expect(fs.readFileSync(path.join(backup.path, notes), 'utf8')).toBe(`Reach the ledger API at https://ledger:${REDACTED_MARKER}@api.example/v1 (ask ops).\n`);
		const wide = fs.readFileSync(path.join(backup.path, 'agents', agent, 'wide.txt'));
		expect(wide.toString('utf16le')).toBe(`\uFEFF# Keys\r\nOPENAI_API_KEY=${REDACTED_MARKER}\r\n`);
		expect(redacted).toEqual(
			expect.arrayContaining([
				{category: 'agents', field: `agents/${agent}/wide.txt:line 2`, count: 1, action: 're-enter on restore'},
				{category: 'agents', field: `${soul}:line 5,9`, count: 2, action: 're-enter on restore'},
				{category: 'agents', field: `${notes}:line 1`, count: 1, action: 're-enter on restore'},
			]),
		);
		// Files with nothing to scrub are copied byte for byte and not listed.
		const boot = `agents/${agent}/BOOT.md`;
		expect(fs.readFileSync(path.join(backup.path, boot))).toEqual(fs.readFileSync(path.join(original, boot)));
		expect(redacted.some(note => note.field.startsWith(boot))).toBe(false);
	});

	it('an unchanged gateway plans them as identical, and replace keeps the live secrets', async () => {
		const dataDir = copyGateway(original);
		for (const mode of ['additive', 'replace'] as const) {
			const plan = await planRestore({source: backup.source, dataDir, mode});
			expect(plan.categories.find(category => category.category === 'agents')!.fileCounts, mode).toMatchObject({new: 0, conflicts: 0, toDelete: 0});
			expect(plan.secretsToReenter.filter(note => note.category === 'agents'), mode).toEqual([]);
		}
		const result = await applyRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(fs.readFileSync(path.join(dataDir, soul), 'utf8')).toBe(SOUL);
		expect(fs.readFileSync(path.join(dataDir, notes), 'utf8')).toBe(NOTES);
		expect(fs.readFileSync(path.join(dataDir, 'agents', agent, 'wide.txt'))).toEqual(WIDE);
		expect(result.secretsToReenter.filter(note => note.category === 'agents')).toEqual([]);
	});

	it('a live file changed elsewhere is a conflict; writing the backup over it says what to re-enter', async () => {
		const dataDir = copyGateway(original);
		fs.writeFileSync(path.join(dataDir, soul), SOUL.replace('finance team', 'whole company'));
		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(plan.categories.find(category => category.category === 'agents')!.conflictRefs).toEqual([{table: 'files', id: soul}]);
		const result = await applyRestore({source: backup.source, dataDir, mode: 'replace'});
		const written = fs.readFileSync(path.join(dataDir, soul), 'utf8');
		expect(written).toContain('finance team');
		expect(written).toContain(REDACTED_MARKER);
		expect(result.secretsToReenter).toEqual(expect.arrayContaining([expect.objectContaining({category: 'agents', field: `${soul}:line 5,9`, count: 2})]));

		const additive = copyGateway(original);
		fs.writeFileSync(path.join(additive, soul), SOUL.replace('finance team', 'whole company'));
		const quarantined = await applyRestore({source: backup.source, dataDir: additive});
		expect(quarantined.applied.quarantined).toBe(1);
		expect(fs.readFileSync(path.join(additive, quarantined.quarantineDir!, 'agents', 'files', soul), 'utf8')).not.toMatch(/LIVEmd0\d/);
		acceptQuarantine(additive, quarantined.restoreId);
		expect(fs.readFileSync(path.join(additive, soul), 'utf8')).not.toMatch(/LIVEmd0\d/);
	});

	it('restored into a fresh gateway they hold the markers and are listed to re-enter', async () => {
		const dataDir = freshGateway();
		const result = await applyRestore({source: backup.source, dataDir});
		expect(fs.readFileSync(path.join(dataDir, soul), 'utf8')).toContain(`password: ${REDACTED_MARKER}`);
		expect(result.secretsToReenter).toEqual(
			expect.arrayContaining([
				expect.objectContaining({category: 'agents', field: `${soul}:line 5,9`, count: 2}),
				expect.objectContaining({category: 'agents', field: `${notes}:line 1`, count: 1}),
				expect.objectContaining({category: 'agents', field: `agents/${agent}/wide.txt:line 2`, count: 1}),
			]),
		);
	});
});
