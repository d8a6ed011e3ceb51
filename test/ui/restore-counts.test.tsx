import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

/** Issue 9 §2.7: the dry-run screen and the result screen count the same things, files included. */

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** Edits rows and agent files of acme-corp (conflicts), deletes some (new), adds one (to delete in replace). */
function editLive(gateway: GatewayChoice): void {
	const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	try {
		const tenant = (handle.prepare(`SELECT id FROM tenants WHERE slug = 'acme-corp'`).get() as {id: string}).id;
		const memory = handle.prepare(`SELECT id FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 3`).all(tenant) as Array<{id: string}>;
		for (const {id} of memory) handle.prepare(`UPDATE memory_entries SET content = 'edited live' WHERE id = ?`).run(id);
		handle.prepare(`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE tenant_id = ? ORDER BY id LIMIT 2)`).run(tenant);
		const agent = (handle.prepare(`SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1`).get(tenant) as {id: string}).id;
		handle.prepare(`INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES ('mem_added0001', ?, '2026-02-01', '2026-02-01', ?, 'fact', 'added', 0.5, '[]')`).run(tenant, agent);
		fs.appendFileSync(path.join(gateway.dataDir, 'agents', agent, 'SOUL.md'), '\nEdited live.\n');
	} finally {
		handle.close();
	}
}

/** New, identical, conflicts, to delete of the dry run's Total row. */
function planTotals(frame: string): number[] {
	const line = frame.split('\n').find(text => /^\s+Total\s+[\d,]+\s/.test(text));
	if (!line) throw new Error(`No Total row in:\n${frame}`);
	return line.trim().split(/\s+/).slice(1, 5).map(cell => Number(cell.replaceAll(',', '')));
}

/** The same four numbers on the result screen. */
function resultTotals(frame: string): number[] {
	return ['New', 'Identical', 'Conflicts', 'Deleted'].map(label => {
		const match = new RegExp(`^\\s*${label}\\s+([\\d,]+)`, 'm').exec(frame);
		if (!match) throw new Error(`No ${label} on the result screen:\n${frame}`);
		return Number(match[1]!.replaceAll(',', ''));
	});
}

describe('Restore wizard: dry run and result count the same things', () => {
	for (const mode of ['additive', 'replace'] as const) {
		test(`${mode}: the result screen's New / Identical / Conflicts / Deleted are the dry run's Total row`, async () => {
			const gateway = await demoGateway(mode === 'additive' ? 71 : 72);
			await makeBackup(gateway, {name: 'acme-counts', tenant: 'acme-corp'});
			editLive(gateway);
			app = renderApp(gateway, {route: {name: 'restore'}, rows: 30});
			await app.waitFor('› acme-counts.zip');
			await app.press(KEY.enter);
			await app.waitFor('[x] Users');
			await app.press(KEY.enter);
			await app.waitFor('› Same tenant: acme-corp');
			await app.press(KEY.enter);
			await app.waitFor('› Additive');
			if (mode === 'replace') await app.press('j');
			await app.press(KEY.enter);
			const plan = planTotals(await app.waitFor(/nothing written yet/, 30_000));
			expect(plan[1]).toBeGreaterThan(0);
			expect(plan[2]).toBeGreaterThan(0);
			if (mode === 'replace') expect(plan[3]).toBeGreaterThan(0);
			await app.press('r');
			if (mode === 'replace') {
				await app.waitFor('Type acme-corp to confirm');
				await app.press('acme-corp', KEY.enter);
			}
			const summary = await app.waitFor(`✓ Restored (${mode})`, 30_000);
			expect(resultTotals(summary)).toEqual(plan);
		});
	}
});
