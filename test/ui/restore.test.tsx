import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {formatChecklist, planRestore, postRestoreChecklist, type RestoreOptions, type RestorePlan} from '../../source/core/restore/index.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const PASS = 'lifeboat pass';

function db(gateway: GatewayChoice) {
	return new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
}

function tenantId(gateway: GatewayChoice, slug: string): string {
	const handle = db(gateway);
	try {
		return (handle.prepare(`SELECT id FROM tenants WHERE slug = ?`).get(slug) as {id: string}).id;
	} finally {
		handle.close();
	}
}

/** Edits 2 agents and 5 memory entries of a tenant, so a restore of an older backup conflicts. */
function editLive(gateway: GatewayChoice, slug: string): {agents: string[]; memory: string[]} {
	const handle = db(gateway);
	const tenant = tenantId(gateway, slug);
	try {
		const agents = (handle.prepare(`SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 2`).all(tenant) as Array<{id: string}>).map(row => row.id);
		const memory = (handle.prepare(`SELECT id FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 5`).all(tenant) as Array<{id: string}>).map(row => row.id);
		for (const id of agents) handle.prepare(`UPDATE agents SET name = name || ' (edited)' WHERE id = ?`).run(id);
		for (const id of memory) handle.prepare(`UPDATE memory_entries SET content = 'edited live' WHERE id = ?`).run(id);
		return {agents, memory};
	} finally {
		handle.close();
	}
}

/** The numbers of a category row of the dry-run table, as shown. */
function row(frame: string, label: string): number[] {
	const line = frame.split('\n').find(text => new RegExp(`^[ ›]+${label.replace(/[&]/g, '\\$&')}\\s+[\\d,]+\\s`).test(text));
	if (!line) throw new Error(`No row ${label} in:\n${frame}`);
	return line
		.slice(line.indexOf(label) + label.length)
		.trim()
		.split(/\s+/)
		.slice(0, 4)
		.map(cell => Number(cell.replaceAll(',', '')));
}

/** From Home: Restore → the backup `file` → every category → the same tenant (acme-corp) → Additive; the dry-run frame. */
async function additiveIntoAcme(app: Rendered, file: string): Promise<string> {
	await app.waitFor('› Create backup');
	await app.press('j', 'j', KEY.enter);
	await app.waitFor(`› ${file}`);
	await app.press(KEY.enter);
	await app.waitFor('[x] Users');
	await app.press(KEY.enter);
	await app.waitFor('› Same tenant: acme-corp');
	await app.press(KEY.enter);
	await app.waitFor('› Additive');
	await app.press(KEY.enter);
	return app.waitFor(`Additive of ${file.slice(0, file.lastIndexOf('.'))} into tenant acme-corp`, 30_000);
}

function expectTableMatches(frame: string, plan: RestorePlan) {
	for (const category of plan.categories) {
		expect(row(frame, category.label), category.label).toEqual([category.new, category.identical, category.conflicts, category.toDelete]);
	}
	expect(row(frame, 'Total')).toEqual([plan.totals.new, plan.totals.identical, plan.totals.conflicts, plan.totals.toDelete]);
}

/** A line as a `wrap="truncate"` row of `columns` shows it: whole, or cut with an ellipsis in the last column. */
function cutTo(line: string, columns: number): string {
	const chars = [...line];
	return chars.length <= columns ? line : chars.slice(0, columns - 1).join('') + '…';
}

/**
 * The summary shows the checklist `backup restore` prints for this restore (formatChecklist of
 * the plan's secrets and 2FA), each step on one row cut to the width, in order; steps that do not
 * fit are counted on a last row. Returns how many steps are shown.
 */
function expectChecklist(frame: string, plan: RestorePlan, columns: number): number {
	const [heading, ...steps] = formatChecklist(postRestoreChecklist(plan));
	const rows = frame.split('\n').map(line => line.trimEnd());
	const start = rows.indexOf(heading!);
	expect(start, frame).toBeGreaterThanOrEqual(0);
	let shown = 0;
	while (shown < steps.length && rows[start + 1 + shown] === cutTo(steps[shown]!, columns).trimEnd()) shown++;
	const left = steps.length - shown;
	if (left > 0) expect(rows[start + 1 + shown], frame).toBe(`  … ${left} more step${left === 1 ? '' : 's'}`);
	expect(shown, frame).toBeGreaterThan(0);
	for (const line of rows) expect([...line].length).toBeLessThanOrEqual(columns);
	expect(frame).not.toContain('Re-enter these secrets');
	return shown;
}

async function enginePlan(gateway: GatewayChoice, file: string, options: Partial<RestoreOptions>): Promise<RestorePlan> {
	return planRestore({dataDir: gateway.dataDir, source: await openBackupSource(file, {passphrase: PASS}), passphrase: PASS, ...options});
}

describe('Restore wizard', () => {
	test('from Browse: encrypted one-tenant backup, replace into another tenant, typed confirmation', async () => {
		const gateway = await demoGateway(61);
		const backup = await makeBackup(gateway, {name: 'acme-enc', tenant: 'acme-corp', passphrase: PASS});
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 30});
		await app.waitFor('› acme-enc');
		await app.press('r');
		await app.waitFor('Passphrase for acme-enc.zip.enc');
		await app.press('wrong', KEY.enter);
		const wrong = await app.waitFor('✗');
		expect(wrong).toMatch(/wrong passphrase or corrupted backup — type it again, or Esc/);
		await app.press(PASS, KEY.enter);
		await app.waitFor('[x] Users', 20_000);
		await app.press(KEY.enter);
		await app.waitFor('Same tenant: acme-corp');
		await app.press('j');
		await app.waitFor('› Another tenant: globex');
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press('j', KEY.enter);
		const frame = await app.waitFor('Replace of acme-enc into tenant globex', 30_000);
		expect(frame).toContain('nothing written yet');
		const plan = await enginePlan(gateway, backup.path, {mode: 'replace', intoTenant: 'globex'});
		expectTableMatches(frame, plan);
		expect(plan.totals.toDelete).toBeGreaterThan(0);
		expect(frame).toMatch(/Secrets to re-enter after: webhooks\.secret/);

		await app.press('r');
		const confirm = await app.waitFor('Type globex to confirm');
		expect(confirm).toMatch(new RegExp(`Replace deletes ${plan.totals.toDelete.toLocaleString('en-US')} live entries`));
		await app.press('acme-corp', KEY.enter);
		await app.waitFor('Type globex exactly to replace');
		await app.press(KEY.ctrlU, 'globex', KEY.enter);
		const summary = await app.waitFor('✓ Restored (replace)', 30_000);
		expect(summary).toMatch(new RegExp(`Deleted\\s+${plan.totals.toDelete.toLocaleString('en-US')}`));
		// The CLI's post-restore checklist, every step of it at 80x30; at 60 columns the long steps are cut, never wrapped.
		const steps = formatChecklist(postRestoreChecklist(plan)).length - 1;
		expect(expectChecklist(summary, plan, 80)).toBe(steps);
		expect(summary).toMatch(/^ {2}\d+\. Re-pair \d+ nodes: pairing secrets \(node_pairings\.pairing_secret\) are never …$/m);
		app.resize(60, 30);
		const narrow = await app.waitFor(frame => frame.includes('After the restore:') && frame.split('\n').every(line => [...line.trimEnd()].length <= 60));
		expect(expectChecklist(narrow, plan, 60)).toBe(steps);
		expect(narrow).toMatch(/…$/m);
		// A short window: the steps that fit, then how many are left; the choice stays.
		app.resize(80, 16);
		// The frame drawn as the window shrinks may still hold the taller layout (cut by the frame,
		// "… more lines below"); the one laid out for 16 rows keeps the choice.
		const short = await app.waitFor(frame => /… \d+ more steps?/.test(frame) && frame.includes('› Home'));
		expect(expectChecklist(short, plan, 80)).toBeLessThan(steps);
		expect(short).not.toContain('more lines below');
		app.resize(80, 30);
		const handle = db(gateway);
		const globex = tenantId(gateway, 'globex');
		const agents = (handle.prepare(`SELECT COUNT(*) AS n FROM agents WHERE tenant_id = ?`).get(globex) as {n: number}).n;
		handle.close();
		expect(agents).toBe(backup.metadata.counts['agents']!.count);
		await app.press(KEY.enter); // Home
		await app.waitFor('› Create backup');
	});

	test('additive into the same tenant: conflicts listed, one shown side by side, quarantine in the summary', async () => {
		const gateway = await demoGateway(62);
		const backup = await makeBackup(gateway, {name: 'acme-plain', tenant: 'acme-corp'});
		const edited = editLive(gateway, 'acme-corp');
		app = renderApp(gateway, {rows: 30});
		const frame = await additiveIntoAcme(app, 'acme-plain.zip');
		const plan = await planRestore({dataDir: gateway.dataDir, source: await openBackupSource(backup.path)});
		expectTableMatches(frame, plan);
		expect(row(frame, 'Agents')[2]).toBe(2);
		expect(row(frame, 'Memory')[2]).toBe(5);

		await app.press('j');
		await app.waitFor('› Agents');
		await app.press(KEY.enter);
		const list = await app.waitFor('2 conflicts in Agents');
		for (const id of edited.agents) expect(list).toContain(id);
		await app.press(KEY.enter);
		const side = await app.waitFor('Field', 20_000);
		expect(side).toMatch(/1 field differs/);
		expect(side).toMatch(/≠ name\s+\S.*\(edited\)/);
		await app.press(KEY.escape);
		await app.waitFor('2 conflicts in Agents');
		await app.press(KEY.escape);
		await app.waitFor('Additive of acme-plain');
		await app.press('r');
		const summary = await app.waitFor('✓ Restored (additive)', 30_000);
		expect(summary).toMatch(/Conflicts\s+7 \(set aside, see Quarantined\)/);
		const restoreId = summary.match(/Restore id\s+(\S+)/)![1]!;
		expect(fs.existsSync(path.join(gateway.dataDir, 'quarantine', restoreId))).toBe(true);
		expect(summary).toContain('› Open quarantine');
		await app.press(KEY.enter);
		await app.waitFor(restoreId);
	});

	test('a JSON bundle restores through the console like a zip: its dry-run table is the plan, then additive', async () => {
		const gateway = await demoGateway(63);
		const backup = await makeBackup(gateway, {name: 'acme-bundle', tenant: 'acme-corp', format: 'json'});
		expect(backup.path.endsWith('acme-bundle.json')).toBe(true);
		editLive(gateway, 'acme-corp');
		app = renderApp(gateway, {rows: 30});
		const frame = await additiveIntoAcme(app, 'acme-bundle.json');
		const plan = await planRestore({dataDir: gateway.dataDir, source: await openBackupSource(backup.path)});
		expectTableMatches(frame, plan);
		expect(row(frame, 'Agents')[2]).toBe(2);
		expect(row(frame, 'Memory')[2]).toBe(5);
		await app.press('r');
		const summary = await app.waitFor('✓ Restored (additive)', 30_000);
		expect(summary).toMatch(/Conflicts\s+7 \(set aside, see Quarantined\)/);
	});

	test('a backup of every tenant skips the tenant step; replace asks for the word "replace"', async () => {
		const gateway = await demoGateway(63);
		await makeBackup(gateway, {name: 'all-tenants', categories: ['tools', 'skills']});
		app = renderApp(gateway, {route: {name: 'restore'}});
		await app.waitFor('› all-tenants.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Tools');
		await app.press(KEY.space); // untick Tools
		await app.waitFor('[ ] Tools');
		await app.press(KEY.enter);
		const mode = await app.waitFor('› Additive');
		expect(mode).toContain('1 category into 2 tenants of the backup');
		await app.press('j', KEY.enter);
		const frame = await app.waitFor('Replace of all-tenants', 30_000);
		expect(frame).toMatch(/Skills\s+0\s+[\d,]+\s+0\s+0/);
		expect(frame).not.toMatch(/^\s*›?\s*Tools\s/m);
		await app.press('r');
		await app.waitFor('Type replace to confirm');
		await app.press('replace', KEY.enter);
		await app.waitFor('✓ Restored (replace)', 30_000);
	});

	test('a corrupted backup is refused at the dry run with a red line and a way back', async () => {
		const gateway = await demoGateway(64);
		const backup = await makeBackup(gateway, {name: 'damaged'});
		const bytes = fs.readFileSync(backup.path);
		for (let offset = Math.floor(bytes.length / 2); offset < Math.floor(bytes.length / 2) + 64; offset++) bytes[offset] = bytes[offset]! ^ 0xff;
		fs.writeFileSync(backup.path, bytes);
		app = renderApp(gateway, {route: {name: 'restore'}});
		await app.waitFor('› damaged.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Users');
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press(KEY.enter);
		const frame = await app.waitFor('✗', 30_000);
		expect(frame.replace(/\n/g, ' ')).toMatch(/✗ .*nothing was restored — Esc to go back/);
		expect(frame).toContain('› Additive');
		await app.press(KEY.escape);
		await app.waitFor('[x] Users');
	});
});

describe('Restore wizard: where the backup comes from', () => {
	test('from Browse in another folder: the title names the file, and Esc goes back to that folder with the same backup selected', async () => {
		const gateway = await demoGateway(65);
		await makeBackup(gateway, {name: 'in-default-folder'});
		const other = path.join(path.dirname(gateway.backupDir), 'elsewhere');
		await makeBackup(gateway, {name: 'older', destDir: other, categories: ['tools'], now: new Date('2026-01-01T10:00:00Z')});
		await makeBackup(gateway, {name: 'newer', destDir: other, categories: ['tools'], now: new Date('2026-01-03T10:00:00Z')});
		// A copy under another file name: the name stored inside it is still "older".
		fs.copyFileSync(path.join(other, 'older.zip'), path.join(other, 'renamed-copy.zip'));
		app = renderApp(gateway, {route: {name: 'browse', destDir: other}});
		await app.waitFor(frame => frame.includes('3 backups') && frame.includes('› newer'));
		await app.press('G');
		const list = await app.waitFor(/› (older|renamed-copy) /);
		const picked = /› (older|renamed-copy) /.exec(list)![1]!;
		await app.press('r');
		const categories = await app.waitFor('[x] Tools');
		expect(categories.split('\n')[0]).toContain(`Restore · Categories · ${picked}.zip`);
		await app.press(KEY.escape);
		const back = await app.waitFor(frame => frame.includes('Browse') && frame.includes('3 backups'));
		expect(back).toContain('elsewhere');
		expect(back).toContain(`› ${picked} `);
		expect(back).not.toContain('in-default-folder');
	});

	test('the pick list shows unreadable backups greyed with the reason and never picks them; f reads another folder; one not made yet has no backups', async () => {
		const gateway = await demoGateway(66);
		await makeBackup(gateway, {name: 'good', categories: ['tools'], now: new Date('2026-01-01T10:00:00Z')});
		fs.writeFileSync(path.join(gateway.backupDir, 'notes.zip'), 'Meeting notes\n');
		const other = path.join(path.dirname(gateway.backupDir), 'elsewhere');
		await makeBackup(gateway, {name: 'other-folder-backup', destDir: other, categories: ['tools']});
		app = renderApp(gateway, {route: {name: 'restore'}});
		const pick = await app.waitFor('good.zip');
		expect(pick.split('\n')[0]).toContain('Restore · Pick a backup');
		expect(pick).toMatch(/› notes\.zip\s+unreadable: .*not a Lifeboat backup/);
		expect(pick).toContain('1 backup cannot be read and cannot be restored');
		await app.press(KEY.enter);
		expect(app.frame()).toContain('› notes.zip');
		expect(app.frame()).not.toContain('[x]');
		await app.press('j');
		await app.waitFor('› good.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Tools');
		// Back at the list, the cursor is on the backup picked before.
		await app.press(KEY.escape);
		await app.waitFor('› good.zip');
		await app.press('f');
		await app.waitFor('Backups folder');
		await app.press(KEY.ctrlU, other, KEY.enter);
		const elsewhere = await app.waitFor('› other-folder-backup.zip');
		expect(elsewhere).not.toContain('good.zip');
		await app.press('f');
		await app.waitFor('Backups folder');
		await app.press(KEY.ctrlU, path.join(other, 'not-made-yet'), KEY.enter);
		const none = await app.waitFor('No backups in');
		expect(none.replace(/\s+/g, ' ')).toContain(`No backups in ${path.join(other, 'not-made-yet')} yet`);
		expect(none).not.toContain('✗');
	});
});

describe('Restore summary: the quarantine folder', () => {
	test.each([
		[120, 30],
		[80, 24],
	])('is shown whole, wrapped, at %ix%i (a long data dir path is never cut)', async (columns, rows) => {
		const root = path.join(tempDir(), 'a-rather-long-folder-name-for-where-this-gateway-keeps-its-data', 'and-one-more-level');
		const gateway: GatewayChoice = {dataDir: path.join(root, 'gateway'), backupDir: path.join(root, 'backups'), isDemo: false};
		await generateDemo({dir: gateway.dataDir, tenants: 2, scale: 'small', seed: 67});
		const backup = await makeBackup(gateway, {name: 'acme-agents', tenant: 'acme-corp', categories: ['agents']});
		editLive(gateway, 'acme-corp');
		app = renderApp(gateway, {route: {name: 'restore', backupPath: backup.path, encrypted: false}, columns, rows});
		await app.waitFor('[x] Agents');
		await app.press(KEY.enter);
		await app.waitFor('› Same tenant: acme-corp');
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press(KEY.enter);
		await app.waitFor('Additive of acme-agents', 30_000);
		await app.press('r');
		const summary = await app.waitFor('✓ Restored (additive)', 30_000);
		const restoreId = /Restore id\s+(\S+)/.exec(summary)![1]!;
		const full = path.join(gateway.dataDir, 'quarantine', restoreId);
		expect(full.length).toBeGreaterThan(columns - 14);
		const squeeze = (text: string) => text.replace(/\s+/g, '');
		expect(squeeze(summary)).toContain(squeeze(`Quarantined 2 in ${full}`));
		expect(summary).not.toContain('…');
		for (const line of summary.split('\n')) expect([...line].length).toBeLessThanOrEqual(columns);
		// Agents only: nothing to re-enter, the checklist's one step is the rotation.
		expect(summary).toMatch(/^After the restore:\n {2}1\. Rotate any API tokens users care about \(the backup circulated\)\n/m);
	});

	test('a whole-gateway backup: the wrapped path, the checklist whole at 80x24 and cut to the rows left at 80x20 (counted), the choices, nothing cut by the frame', async () => {
		const root = path.join(tempDir(), 'a-rather-long-folder-name-for-where-this-gateway-keeps-its-data', 'and-one-more-level');
		const gateway: GatewayChoice = {dataDir: path.join(root, 'gateway'), backupDir: path.join(root, 'backups'), isDemo: false};
		await generateDemo({dir: gateway.dataDir, tenants: 2, scale: 'small', seed: 68});
		const backup = await makeBackup(gateway, {name: 'everything'});
		editLive(gateway, 'acme-corp');
		// Entries lost since the backup come back new, their secrets to re-enter: a long checklist.
		const handle = db(gateway);
		for (const table of ['webhooks', 'connections', 'channels', 'node_pairings']) handle.prepare(`DELETE FROM ${table}`).run();
		handle.close();
		const plan = await enginePlan(gateway, backup.path, {mode: 'additive'});
		app = renderApp(gateway, {route: {name: 'restore', backupPath: backup.path, encrypted: false}});
		await app.waitFor('[x] Users', 20_000);
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press(KEY.enter);
		await app.waitFor('Additive of everything', 30_000);
		await app.press('r');
		const summary = await app.waitFor('✓ Restored (additive)', 30_000);
		const steps = formatChecklist(postRestoreChecklist(plan)).length - 1;
		expect(steps).toBeGreaterThanOrEqual(4);
		expect(expectChecklist(summary, plan, 80)).toBe(steps);
		expect(summary).toContain('› Open quarantine');
		expect(summary).not.toMatch(/more lines? below/);
		// Fewer rows: the steps that fit, how many are left, and still both choices and nothing cut by the frame.
		app.resize(80, 20);
		// (The frame drawn right at the resize may still count the body's old height.)
		const short = await app.waitFor(frame => /… \d+ more steps?/.test(frame) && !/more lines? below/.test(frame));
		const shown = expectChecklist(short, plan, 80);
		expect(shown).toBeLessThan(steps);
		expect(short).toContain(`  … ${steps - shown} more step${steps - shown === 1 ? '' : 's'}`);
		expect(short).toContain('› Open quarantine');
		expect(short).toMatch(/^ {2}Home$/m);
		expect(short).not.toMatch(/more lines? below/);
		expect(short.split("\n").length).toBeLessThanOrEqual(20);
	});
});

