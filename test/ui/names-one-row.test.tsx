import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {applyRestore} from '../../source/core/restore/index.js';
import {demoGateway, KEY, makeBackup, quiet, renderApp, type Rendered} from './harness.js';
import {installOverlapProbe, lastCollisions} from './overlap-probe.js';

/**
 * A name from data with a line break in it (a backup file, a quarantined row's id) stays on its
 * row in the title, the delete question, a field's label and the restore's header: the break is
 * shown as \u{A}, the rest of the name never starts a row of its own, and nothing is drawn over
 * anything else.
 */
let app: Rendered | undefined;

beforeAll(async () => {
	await installOverlapProbe();
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** The frame is whole: the title row names `tail` after \u{A}, no row starts with it, nothing overlaps. */
function expectOneRow(frame: string, tail: string, rows: number, where: 'title' | 'anywhere' = 'title'): void {
	const lines = frame.split('\n');
	expect(lines.length, frame).toBeLessThanOrEqual(rows);
	expect(lines[0], frame).toMatch(/^Lifeboat · /);
	if (where === 'title') expect(lines[0], frame).toContain(`\\u{A}${tail.slice(0, 8)}`);
	expect(lines.filter(line => line.trimStart().startsWith(tail.slice(0, 8))), frame).toEqual([]);
	expect(lastCollisions(), frame).toEqual([]);
}

test('a backup file named with a line break: Browse’s delete question and copy label, then Restore’s title and header', async () => {
	const gateway = await demoGateway(45);
	const backup = await makeBackup(gateway, {name: 'plain'});
	const tail = 'SECOND-LINE-OF-NAME';
	fs.renameSync(backup.path, path.join(gateway.backupDir, `evil\n${tail}.zip`));
	const [columns, rows] = [60, 18];
	app = renderApp(gateway, {route: {name: 'browse'}, columns, rows});
	await app.waitFor('› evil');
	await quiet(app);
	await app.press('d');
	const ask = await app.waitFor('Delete evil');
	await quiet(app);
	expect(ask).toContain(`Delete evil\\u{A}${tail}.zip (`);
	expectOneRow(app.frame(), tail, rows, 'anywhere');
	await app.press('n');
	await quiet(app);
	await app.press('c');
	const copy = await app.waitFor('Copy evil');
	await quiet(app);
	expect(copy).toContain(`Copy evil\\u{A}${tail}.zip to`);
	expectOneRow(app.frame(), tail, rows, 'anywhere');
	await app.press(KEY.escape);
	await quiet(app);
	await app.press('r');
	await app.waitFor('[x] Users');
	await quiet(app);
	expectOneRow(app.frame(), tail, rows);
});

test('the drill’s passphrase step of an encrypted backup named with a line break', async () => {
	const gateway = await demoGateway(46);
	const backup = await makeBackup(gateway, {name: 'plain', passphrase: 'correct horse battery staple', kdfIterations: 1000});
	const tail = 'Y'.repeat(50) + '-END';
	fs.renameSync(backup.path, path.join(gateway.backupDir, `enc\n${tail}.zip`));
	const [columns, rows] = [60, 18];
	app = renderApp(gateway, {route: {name: 'drill'}, columns, rows});
	await app.waitFor('Where are the backups');
	await app.press(KEY.enter);
	await app.waitFor('› enc');
	await app.press(KEY.enter);
	await app.waitFor('Passphrase');
	await quiet(app);
	expectOneRow(app.frame(), tail, rows);
});

test('a quarantined entry whose id holds a line break: the title and the header of its view', async () => {
	const gateway = await demoGateway(47);
	const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	const id = (handle.prepare(`SELECT m.id FROM memory_entries m JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'globex' ORDER BY m.id LIMIT 1`).get() as {id: string}).id;
	const tail = 'NEXT-ROW-OF-THE-ID';
	const hostile = `${id}\n${tail}`;
	handle.prepare('UPDATE memory_entries SET id = ? WHERE id = ?').run(hostile, id);
	handle.close();
	const backup = await makeBackup(gateway, {name: 'mem', tenant: 'globex', categories: ['memory']});
	const live = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	live.prepare(`UPDATE memory_entries SET content = content || ' edited live' WHERE id = ?`).run(hostile);
	live.close();
	const result = await applyRestore({dataDir: gateway.dataDir, source: await openBackupSource(backup.path), mode: 'additive'});
	expect(result.applied.quarantined).toBe(1);
	const [columns, rows] = [80, 20];
	app = renderApp(gateway, {route: {name: 'quarantine'}, columns, rows});
	await app.waitFor(result.restoreId);
	await app.press(KEY.enter);
	await app.waitFor('› Memory');
	await quiet(app);
	await app.press(KEY.enter);
	await app.waitFor('Quarantined (backup)');
	await quiet(app);
	expectOneRow(app.frame(), tail, rows);
});
