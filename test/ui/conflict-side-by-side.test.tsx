import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

/** Issue 9 §2.5: a conflict shows where the two versions differ, even at the end of a long value; files mark size/sha256. */

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const LONG = 'The operator prefers short answers, weekly summaries of every open task, and a reminder before each deadline. '.repeat(8);

function withDb<T>(gateway: GatewayChoice, run: (db: Database.Database, tenant: string) => T): T {
	const db = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	try {
		return run(db, (db.prepare(`SELECT id FROM tenants WHERE slug = 'acme-corp'`).get() as {id: string}).id);
	} finally {
		db.close();
	}
}

/** Restore wizard → dry run of acme-corp (additive) → the conflicts of `category` → the first one. */
async function openConflict(rendered: Rendered, category: string): Promise<string> {
	await rendered.waitFor('› acme-sbs.zip');
	await rendered.press(KEY.enter);
	await rendered.waitFor('[x] Users');
	await rendered.press(KEY.enter);
	await rendered.waitFor('› Same tenant: acme-corp');
	await rendered.press(KEY.enter);
	await rendered.waitFor('› Additive');
	await rendered.press(KEY.enter);
	await rendered.waitFor('nothing written yet', 30_000);
	for (let moves = 0; moves < 20 && !new RegExp(`› ${category}\\s`).test(rendered.frame()); moves++) await rendered.press('j');
	await rendered.press(KEY.enter);
	await rendered.waitFor(`in ${category}:`);
	await rendered.press(KEY.enter);
	return rendered.waitFor(/differ/, 20_000);
}

describe('Conflict side by side', () => {
	test('an edit at the end of a long memory entry is shown on both sides, "…" before it; Enter shows the whole value, ↑↓ scroll', async () => {
		const gateway = await demoGateway(73);
		const id = withDb(gateway, (db, tenant) => {
			const row = db.prepare(`SELECT id FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 1`).get(tenant) as {id: string};
			db.prepare(`UPDATE memory_entries SET content = ? WHERE id = ?`).run(`${LONG}Meet on Mondays.`, row.id);
			return row.id;
		});
		await makeBackup(gateway, {name: 'acme-sbs', tenant: 'acme-corp'});
		withDb(gateway, db => db.prepare(`UPDATE memory_entries SET content = ? WHERE id = ?`).run(`${LONG}Meet on Fridays.`, id));
		app = renderApp(gateway, {route: {name: 'restore'}, rows: 30});
		const frame = await openConflict(app, 'Memory');
		expect(frame).toContain(`memory_entries ${id} · 1 field differs`);
		const row = frame.split('\n').find(line => line.includes('≠ content'))!;
		expect(row).toMatch(/≠ content\s+….*Mondays\.\s+….*Fridays\./);
		expect(frame).toMatch(/Enter shows content in full/);

		await app.press(KEY.enter);
		const full = await app.waitFor('content in full');
		expect(full).toMatch(/lines \d+–\d+ of \d+/);
		expect(full).toContain('Mondays.');
		expect(full).toContain('Fridays.');
		const total = Number(/of (\d+) ·/.exec(full)![1]);
		for (let step = 0; step < total; step++) await app.press(KEY.up);
		const top = await app.waitFor(/lines 1–/);
		expect(top).toMatch(/│ The operator prefers short/);
		await app.press(KEY.down);
		await app.waitFor(/lines 2–/);
		// Esc goes back to the fields, then to the conflict list.
		await app.press(KEY.escape);
		await app.waitFor('≠ content');
		await app.press(KEY.escape);
		await app.waitFor('in Memory:');
	});

	test('a file conflict marks sha256 and size, the rows that differ', async () => {
		const gateway = await demoGateway(74);
		await makeBackup(gateway, {name: 'acme-sbs', tenant: 'acme-corp'});
		const agent = withDb(gateway, (db, tenant) => (db.prepare(`SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1`).get(tenant) as {id: string}).id);
		fs.appendFileSync(path.join(gateway.dataDir, 'agents', agent, 'SOUL.md'), '\nEdited live.\n');
		app = renderApp(gateway, {route: {name: 'restore'}, rows: 30});
		const frame = await openConflict(app, 'Agents');
		expect(frame).toContain(`files agents/${agent}/SOUL.md · 3 fields differ`);
		expect(frame).toMatch(/≠ size\s+\d+\s+\d+/);
		expect(frame).toMatch(/≠ sha256\s+[0-9a-f…]+/);
		expect(frame).toMatch(/≠ preview\s/);
		expect(frame).toMatch(/^\s+path\s/m);
	});
});
