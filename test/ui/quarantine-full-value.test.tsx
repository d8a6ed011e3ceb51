import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {applyRestore} from '../../source/core/restore/index.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

/**
 * A quarantined entry is shown beside the live one like a restore's conflict: ↑↓ pick a field,
 * Enter shows it in full (an edit past the column is visible), Esc returns to the fields and only
 * then to the list. Before, the quarantine view had no cursor and no way to see a whole value.
 */

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

test('a quarantined memory entry edited at its end: Enter shows the whole value, Esc steps back one view at a time', async () => {
	const gateway = await demoGateway(47);
	const backup = await makeBackup(gateway, {name: 'mem', tenant: 'globex', categories: ['memory']});
	const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	const id = (handle.prepare(`SELECT m.id FROM memory_entries m JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'globex' ORDER BY m.id LIMIT 1`).get() as {id: string}).id;
	handle.prepare(`UPDATE memory_entries SET content = content || ' and then the LIVE-ONLY-TAIL-EDIT' WHERE id = ?`).run(id);
	handle.close();
	const result = await applyRestore({dataDir: gateway.dataDir, source: await openBackupSource(backup.path), mode: 'additive'});
	expect(result.applied.quarantined).toBe(1);

	app = renderApp(gateway, {route: {name: 'quarantine'}, columns: 80, rows: 24});
	await app.waitFor(result.restoreId);
	await app.press(KEY.enter);
	await app.waitFor(id);
	await app.press(KEY.enter);
	await app.waitFor(/›≠ content/);
	await app.press(KEY.enter);
	const full = await app.waitFor('content in full');
	expect(full.replace(/[\s│]+/g, '')).toContain('LIVE-ONLY-TAIL-EDIT');
	await app.press(KEY.escape);
	await app.waitFor(/›≠ content/);
	await app.press(KEY.escape);
	await app.waitFor(frame => frame.includes(`› Memory`) && !frame.includes('Quarantined (backup)'));
});
