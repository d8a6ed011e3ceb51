/** `lifeboat drill`'s engine (runDrill): real archives, real SQLite, a real scratch folder. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {plainFileSource, type ArchiveSource} from '../source/core/archive/archive-reader.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {readMetadata} from '../source/core/backup/read-metadata.js';
import {appendDrillHistory, DRILL_CHECKS, readDrillHistory, runDrill, writeDrillReports, type DrillCheck, type DrillOptions, type DrillReport} from '../source/core/drill/index.js';
import {LifeboatError} from '../source/core/errors.js';
import {CATEGORY_IDS} from '../source/core/store/schema.js';
import {backupOf, copyGateway, demoGateway, editedBackup, exec, query, readJsonl, sha256, walkFiles, writeJsonl, flipByteInLargestEntry} from './restore-support.js';
import {fixedGateway, gatewayModel, materialise, plainRow} from './helpers/legal-gateway.js';
import {tempDir} from './helpers/temp-dir.js';

const ALL_PASS = {verify: 'pass', restore: 'pass', counts: 'pass', files: 'pass', integrity: 'pass', references: 'pass', opens: 'pass', live: 'skip'};

function statuses(report: DrillReport): Record<string, string> {
	return Object.fromEntries(report.checks.map(check => [check.id, check.status]));
}

function detail(report: DrillReport, id: string): string {
	return report.checks.find(check => check.id === id)?.detail ?? '';
}

/** A drill in its own scratch parent; the parent must be empty afterwards, whatever the outcome. */
async function drill(source: ArchiveSource, options: Partial<DrillOptions> = {}): Promise<{report: DrillReport; seen: DrillCheck[]}> {
	const scratchParent = tempDir('lifeboat-drill-scratch-');
	const seen: DrillCheck[] = [];
	try {
		const report = await runDrill({source, location: source.label, scratchParent, onCheck: check => seen.push(check), ...options});
		return {report, seen};
	} finally {
		expect(fs.readdirSync(scratchParent)).toEqual([]);
	}
}

/** Every file of a data dir with its SHA-256: equal before and after = byte for byte unchanged. */
function fileDigests(dataDir: string): Record<string, string> {
	return Object.fromEntries(walkFiles(dataDir).map(file => [file, sha256(path.join(dataDir, ...file.split('/')))]));
}

/**
 * The live data dir after a drill: every file byte for byte as before. The one thing a read-only
 * SQLite reader may add to a stopped gateway is SQLite's own companions of gateway.db (an empty
 * -wal and the -shm index), exactly as any reader of the database does: nothing else, and no data.
 */
function expectUnchanged(dataDir: string, before: Record<string, string>): void {
	const after = fileDigests(dataDir);
	const added = Object.keys(after).filter(file => !(file in before));
	expect(added.filter(file => file !== 'data/gateway.db-wal' && file !== 'data/gateway.db-shm')).toEqual([]);
	if (added.includes('data/gateway.db-wal')) expect(fs.statSync(path.join(dataDir, 'data', 'gateway.db-wal')).size).toBe(0);
	for (const file of added) delete after[file];
	expect(after).toEqual(before);
}

const demo = demoGateway();

describe('runDrill on good backups', () => {
	it('passes every check on a zip of the demo gateway, reporting each check running then passed', async () => {
		const live = await demo;
		const {source} = await backupOf(live);
		const {report, seen} = await drill(source);
		expect(statuses(report)).toEqual(ALL_PASS);
		expect(report.ok).toBe(true);
		expect(report.failed).toBeUndefined();
		expect(seen.map(check => `${check.id}:${check.status}`)).toEqual(
			DRILL_CHECKS.flatMap(check => (check.id === 'live' ? ['live:skip'] : [`${check.id}:running`, `${check.id}:pass`])),
		);
		const rows = query<{n: number}>(live, 'SELECT COUNT(*) AS n FROM messages')[0]!.n;
		expect(detail(report, 'counts')).toMatch(/^24 tables, [\d,]+ rows as in metadata.json$/);
		expect(rows).toBeGreaterThan(0);
		expect(detail(report, 'references')).toBe('19 reference columns resolve within their tenant');
		expect(report.rto.restoreMs).toBeGreaterThan(0);
		expect(report.rto.bytesPerSecond).toBe(Math.round(report.rto.bytes / (report.rto.restoreMs / 1000)));
		expect(report.rpo.live).toBeNull();
		expect(report.checklist.at(-1)?.kind).toBe('rotate');
	}, 60_000);

	it('passes on an encrypted tar.gz, and writes the JSON and Markdown reports (0600) and a history line', async () => {
		const live = await demo;
		const passphrase = 'correct horse battery staple drill';
		const backup = await backupOf(live, {format: 'tar.gz', passphrase});
		const source = await openBackupSource(backup.path, {passphrase});
		const {report} = await drill(source, {passphrase, location: backup.path});
		expect(statuses(report)).toEqual(ALL_PASS);
		expect(report.backup).toMatchObject({format: 'tar.gz', encrypted: true, location: backup.path});
		const dir = tempDir();
		const files = writeDrillReports(report, path.join(dir, 'reports', 'nightly'));
		expect(files).toEqual({json: path.join(dir, 'reports', 'nightly.json'), markdown: path.join(dir, 'reports', 'nightly.md')});
		expect(JSON.parse(fs.readFileSync(files.json, 'utf8'))).toEqual(report);
		const markdown = fs.readFileSync(files.markdown, 'utf8');
		for (const check of DRILL_CHECKS) expect(markdown).toContain(`| ${check.id}: ${check.label.replaceAll('|', '\\|')} |`);
		expect(markdown).toContain('RPO (age of the backup)');
		expect(markdown).toContain('RTO (restore into an empty data directory)');
		for (const item of report.checklist) expect(markdown).toContain(`- [ ] ${item.text}`);
		for (const file of [files.json, files.markdown]) expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(writeDrillReports(report, path.join(dir, 'same.json')).json).toBe(path.join(dir, 'same.json'));
		const env = {LIFEBOAT_CONFIG_DIR: path.join(dir, 'config')};
		appendDrillHistory(report, files, env);
		appendDrillHistory({...report, ok: false, failed: 'files'}, undefined, env);
		const history = readDrillHistory(env);
		expect(fs.statSync(history.file).mode & 0o777).toBe(0o600);
		expect(history.entries).toEqual([
			{at: report.finishedAt, ok: true, backup: {id: report.backup.id, name: report.backup.name, location: backup.path}, rpoMs: report.rpo.backupAgeMs, rtoMs: report.rto.restoreMs, report: files},
			{at: report.finishedAt, ok: false, failed: 'files', backup: {id: report.backup.id, name: report.backup.name, location: backup.path}, rpoMs: report.rpo.backupAgeMs, rtoMs: report.rto.restoreMs},
		]);
		fs.appendFileSync(history.file, '{"torn":\n');
		expect(readDrillHistory(env)).toMatchObject({skipped: 1, entries: history.entries});
	}, 90_000);

	it('accounts exactly for the audit entry the restore writes, in a one-tenant backup', async () => {
		const live = await demo;
		const tenant = query<{slug: string}>(live, 'SELECT slug FROM tenants ORDER BY slug LIMIT 1')[0]!.slug;
		const {source} = await backupOf(live, {tenant});
		const {report} = await drill(source);
		expect(statuses(report)).toEqual(ALL_PASS);
		// One audit row too many in the backup (metadata agreeing, so verify passes) is still counted exactly.
		const padded = await editedBackup(live, {tenant}, dir => {
			const file = path.join(dir, 'audit', 'entries.jsonl');
			const rows = readJsonl(file);
			writeJsonl(file, [...rows, {...rows[0]!, id: 'aud_extra'}]);
			const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
			metadata.counts.audit.tables.audit_log += 1;
			metadata.counts.audit.count += 1;
			fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
		});
		expect(statuses((await drill(padded)).report)).toEqual(ALL_PASS);
	}, 90_000);

	it('passes on a backup without the users category (whole gateway, and one tenant): its tenants are created first from its metadata, and the restore says so', async () => {
		const live = await demo;
		const tenant = query<{slug: string}>(live, 'SELECT slug FROM tenants ORDER BY slug LIMIT 1')[0]!.slug;
		const tenants = query<{n: number}>(live, 'SELECT COUNT(*) AS n FROM tenants')[0]!.n;
		for (const [options, seeded] of [[{categories: ['agents', 'memory'] as const}, tenants], [{tenant, categories: ['agents'] as const}, 1]] as const) {
			const {source} = await backupOf(live, {...options, categories: [...options.categories]});
			const {report} = await drill(source);
			expect(statuses(report)).toEqual(ALL_PASS);
			expect(detail(report, 'restore')).toMatch(new RegExp(`\\(the backup holds no users category: it restores only onto a gateway that has its ${seeded} tenants?; the drill created (it|them) first from its metadata\\)$`));
		}
	}, 90_000);
	it('a backup without the users category whose metadata lists hostile tenants (null, numbers, missing fields) fails verify, not the scratch gateway: every later check is skipped', async () => {
		const live = await demo;
		const tenant = query<{id: string; slug: string}>(live, 'SELECT id, slug FROM tenants ORDER BY slug LIMIT 1')[0]!;
		for (const hostile of [null, 7, 'text', {id: 5, slug: tenant.slug, name: 'x'}, {slug: tenant.slug}]) {
			const source = await editedBackup(live, {tenant: tenant.slug, categories: ['agents']}, dir => {
				const file = path.join(dir, 'metadata.json');
				const metadata = JSON.parse(fs.readFileSync(file, 'utf8'));
				metadata.tenants = [hostile, ...metadata.tenants];
				fs.writeFileSync(file, JSON.stringify(metadata, null, 2) + '\n');
			});
			const {report} = await drill(source);
			expect(report.failed).toBe('verify');
			expect(detail(report, 'verify')).toBe('metadata.json: tenants missing or malformed');
			expect(detail(report, 'restore')).toBe('the backup does not verify');
		}
	}, 90_000);
});

describe('runDrill on broken backups names the failing check', () => {
	it('one flipped byte fails verify; every later check is skipped; nothing is left in the scratch folder', async () => {
		const {path: zip} = await backupOf(await demo);
		const flipped = path.join(tempDir(), 'flipped.zip');
		fs.writeFileSync(flipped, flipByteInLargestEntry(fs.readFileSync(zip)));
		const {report} = await drill(plainFileSource(flipped));
		expect(report.ok).toBe(false);
		expect(report.failed).toBe('verify');
		expect(statuses(report)).toEqual({verify: 'fail', restore: 'skip', counts: 'skip', files: 'skip', integrity: 'skip', references: 'skip', opens: 'skip', live: 'skip'});
		expect(detail(report, 'restore')).toBe('the backup does not verify');
		expect(report.rto).toEqual({restoreMs: 0, bytes: report.backup.bytes, bytesPerSecond: 0});
	}, 60_000);

	it('a row whose reference the source gateway resolved, dangling in the archive, fails references naming table.column and the row', async () => {
		const live = await demo;
		const conversation = query<{id: string}>(live, 'SELECT id FROM conversations ORDER BY id LIMIT 1')[0]!.id;
		const source = await editedBackup(live, {}, dir => {
			const file = path.join(dir, 'chats', 'conversations.jsonl');
			writeJsonl(file, readJsonl(file).map(row => (row['id'] === conversation ? {...row, user_id: 'usr_nobody'} : row)));
		});
		const {report} = await drill(source);
		expect(report.failed).toBe('references');
		expect(statuses(report)).toEqual({...ALL_PASS, references: 'fail'});
		expect(detail(report, 'references')).toBe(`conversations.user_id: 1 dangling reference after the restore, the source gateway had 0 (e.g. conversations ${conversation})`);
	}, 60_000);

	it('a refList element that breaks fails references too', async () => {
		const live = await demo;
		const source = await editedBackup(live, {}, dir => {
			const file = path.join(dir, 'skills', 'installed.jsonl');
			const rows = readJsonl(file);
			writeJsonl(file, rows.map((row, index) => (index === 0 ? {...row, enabled_agents: JSON.stringify(['agt_gone', 'agt_gone_too'])} : row)));
		});
		const {report} = await drill(source);
		expect(report.failed).toBe('references');
		expect(detail(report, 'references')).toMatch(/^skills\.enabled_agents: 2 dangling references after the restore, the source gateway had 0 \(e\.g\. skills \S+\)$/);
	}, 60_000);

	it('a table whose row count metadata.json leaves out fails verify, naming the table', async () => {
		const source = await editedBackup(await demo, {}, dir => {
			const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
			delete metadata.counts.chats.tables.messages;
			fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
		});
		const {report} = await drill(source);
		expect(report.failed).toBe('verify');
		expect(detail(report, 'verify')).toBe('metadata.json: counts of chats has no row count for its table messages');
	}, 60_000);
});

describe('runDrill on legal gateways with dangling references', () => {
	it('passes when the references dangled on the source gateway already', async () => {
		const dataDir = path.join(tempDir(), 'gateway');
		materialise(
			fixedGateway({
				conversations: [plainRow('conversations', 'conv-1', {user_id: {dangling: 'ghost-user'}}), plainRow('conversations', 'conv-2', {persona_id: {dangling: ''}})],
				messages: [plainRow('messages', 'msg-1', {conversation_id: {dangling: 'ghost-conv'}})],
				skills: [plainRow('skills', 'skill-1', {enabled_agents: [{dangling: 'ghost-agent'}, {dangling: 'ghost-agent-2'}]})],
			}),
			dataDir,
		);
		const {source} = await backupOf(dataDir);
		const {report} = await drill(source);
		expect(statuses(report)).toEqual(ALL_PASS);
		// conv-1/2: user_id ghost-user, agent_id and persona_id dangling-0 (no agents or personas); msg-1; skill-1's two agents.
		expect(detail(report, 'references')).toBe('19 reference columns resolve within their tenant; 8 dangle as they did on the source gateway');
	}, 60_000);

	it('records per backup scope: a one-tenant backup counts only its tenant, and a malformed record fails verify', async () => {
		const dataDir = path.join(tempDir(), 'gateway');
		const tenants = [
			{id: 'tenant-1', slug: 'acme', name: 'Acme', plan: 'pro', createdAt: '2026-11-30T00:00:00Z'},
			{id: 'tenant-2', slug: 'globex', name: 'Globex', plan: 'pro', createdAt: '2026-11-30T00:00:00Z'},
		];
		materialise(
			fixedGateway(
				{
					users: [plainRow('users', 'usr-1', {}, 0)],
					agents: [plainRow('agents', 'agt-1', {}, 0)],
					conversations: [plainRow('conversations', 'conv-1', {persona_id: null}, 0), plainRow('conversations', 'conv-2', {persona_id: null}, 1)],
				},
				{tenants},
			),
			dataDir,
		);
		const whole = await backupOf(dataDir);
		const one = await backupOf(dataDir, {tenant: 'acme'});
		const recorded = async (source: ArchiveSource) => (await readMetadata(source)).danglingReferences;
		// conv-2 (tenant 2, which has no users or agents): user_id and agent_id dangle.
		expect(await recorded(whole.source)).toMatchObject({'conversations.user_id': 1, 'conversations.agent_id': 1, 'conversations.persona_id': 0});
		expect(await recorded(one.source)).toMatchObject({'conversations.user_id': 0, 'conversations.agent_id': 0});
		expect(statuses((await drill(whole.source)).report)).toEqual(ALL_PASS);
		expect(statuses((await drill(one.source)).report)).toEqual(ALL_PASS);
		const malformed = await editedBackup(dataDir, {}, dir => {
			const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
			metadata.danglingReferences = {'conversations.user_id': -1};
			fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
		});
		const {report} = await drill(malformed);
		expect(report.failed).toBe('verify');
		expect(detail(report, 'verify')).toBe('metadata.json: danglingReferences malformed');
	}, 60_000);

	it('a backup made before danglingReferences was recorded passes, saying how many dangle', async () => {
		const dataDir = path.join(tempDir(), 'gateway');
		materialise(fixedGateway({conversations: [plainRow('conversations', 'conv-1', {user_id: {dangling: 'ghost-user'}})]}), dataDir);
		const source = await editedBackup(dataDir, {}, dir => {
			const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
			delete metadata.danglingReferences;
			fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
		});
		const {report} = await drill(source);
		expect(statuses(report)).toEqual(ALL_PASS);
		expect(detail(report, 'references')).toBe(
			'19 reference columns checked; 3 dangle, and this backup does not record how many dangled on the source gateway (made before Lifeboat recorded it)',
		);
	}, 60_000);

	it('passes on any generated legal gateway (odd ids, values, names and dangling references)', async () => {
		await fc.assert(
			fc.asyncProperty(gatewayModel({maxRows: 3}), async model => {
				const dataDir = path.join(tempDir('lifeboat-drill-legal-'), 'gateway');
				materialise(model, dataDir);
				// A folder backup refuses a document name over 255 bytes once escaped (legal, documented, exit 2): a zip holds it.
				const {source} = await backupOf(dataDir, {format: 'dir'}).catch((error: Error) => (/too long for a folder backup/.test(error.message) ? backupOf(dataDir, {format: 'zip'}) : Promise.reject(error)));
				const {report} = await drill(source);
				expect(report.checks.filter(check => check.status === 'fail').map(check => `${check.id}: ${check.detail}`)).toEqual([]);
				fs.rmSync(path.dirname(dataDir), {recursive: true, force: true});
			}),
			// No shrinking: each run is a whole drill; a failure reports its seed (replay: LIFEBOAT_PROPERTY_SEED).
			{numRuns: Math.max(1, Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 15)), seed: process.env['LIFEBOAT_PROPERTY_SEED'] === undefined ? undefined : Number(process.env['LIFEBOAT_PROPERTY_SEED']), endOnFailure: true},
		);
	}, 300_000);
});

describe('runDrill with a live data directory', () => {
	it('reports known differences exactly and leaves the live data dir byte for byte unchanged', async () => {
		const live = copyGateway(await demo);
		const {source} = await backupOf(live);
		const webhooks = query<{id: string}>(live, 'SELECT id FROM webhooks ORDER BY id').map(row => row.id);
		exec(live, `UPDATE webhooks SET name = 'renamed live' WHERE id = ?`, webhooks[0]);
		exec(live, `DELETE FROM webhooks WHERE id IN (?, ?)`, webhooks[1], webhooks[2]);
		for (const id of ['whk_new1', 'whk_new2', 'whk_new3']) exec(live, `INSERT INTO webhooks SELECT ?, tenant_id, created_at, updated_at, name, url, events, secret, enabled FROM webhooks WHERE id = ?`, id, webhooks[3]);
		const before = fileDigests(live);
		const {report} = await drill(source, {liveDataDir: live});
		expectUnchanged(live, before);
		expect(statuses(report)).toEqual({...ALL_PASS, live: 'pass'});
		const differing = report.rpo.live!.filter(row => row.liveOnly + row.changed + row.backupOnly > 0);
		expect(differing).toEqual([{category: 'webhooks', liveOnly: 3, changed: 1, backupOnly: 2}]);
		expect(report.rpo.live!.map(row => row.category)).toEqual(CATEGORY_IDS);
		expect(detail(report, 'live')).toMatch(/^RPO \S+ \S+; live holds 3 entries the backup lacks and 1 in another version, the backup 2 live lacks \(1 category differ\)$/);
	}, 90_000);

	it('refuses a scratch folder inside the live data dir, and a live data dir that is not a gateway, making nothing', async () => {
		const live = copyGateway(await demo);
		const {source} = await backupOf(live);
		const before = fileDigests(live);
		await expect(runDrill({source, location: source.label, liveDataDir: live, scratchParent: path.join(live, 'agents')})).rejects.toThrow(/scratch folder would be inside the live data directory/);
		expectUnchanged(live, before);
		const notGateway = tempDir();
		await expect(runDrill({source, location: source.label, liveDataDir: notGateway})).rejects.toMatchObject({code: 'not-a-gateway'});
		expect(fs.readdirSync(notGateway)).toEqual([]);
	}, 60_000);

	it('a cancelled drill throws and still removes its scratch folder', async () => {
		const {source} = await backupOf(await demo);
		const controller = new AbortController();
		const scratchParent = tempDir();
		const run = runDrill({
			source,
			location: source.label,
			scratchParent,
			signal: controller.signal,
			onCheck: check => {
				if (check.id === 'restore' && check.status === 'running') controller.abort(new LifeboatError('interrupted', 'Interrupted by SIGINT'));
			},
		});
		await expect(run).rejects.toThrow(/Interrupted by SIGINT/);
		expect(fs.readdirSync(scratchParent)).toEqual([]);
	}, 60_000);
});
