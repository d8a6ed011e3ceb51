/**
 * Issue 11 §3 in the console: Browse marks backups with `m` and `=` shows the same diff as
 * `lifeboat backup diff`: two marked backups (the older as A), or one marked (or the highlighted)
 * backup against the live store; an encrypted one asks for the passphrase; Esc goes back.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {diffPair, toggleMark} from '../../source/ui/state/browse.js';
import {demoGateway, KEY, makeBackup, renderApp, settled, type Rendered} from './harness.js';
import {composedFrames, installOverlapProbe, lastCollisions} from './overlap-probe.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;
let renamedTool: string;

function sql(statement: string, ...params: unknown[]): unknown[] {
	const db = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	try {
		const prepared = db.prepare(statement);
		return prepared.reader ? prepared.pluck(true).all(...params) : [prepared.run(...params)];
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	await installOverlapProbe();
	gateway = await demoGateway(41);
	await makeBackup(gateway, {name: 'd-first', format: 'zip', now: new Date('2026-01-01T10:00:00Z')});
	sql('DELETE FROM memory_entries WHERE id IN (SELECT id FROM memory_entries ORDER BY id LIMIT 3)');
	renamedTool = sql('SELECT id FROM tools ORDER BY id LIMIT 1')[0] as string;
	sql(`UPDATE tools SET name = 'renamed' WHERE id = ?`, renamedTool);
	await makeBackup(gateway, {name: 'd-second', format: 'tar.gz', now: new Date('2026-01-02T10:00:00Z')});
	await makeBackup(gateway, {name: 'd-enc', format: 'zip', passphrase: 'pass phrase', now: new Date('2026-01-03T10:00:00Z')});
	// The live store moves on after the last backup.
	sql(`UPDATE webhooks SET name = 'renamed live' WHERE id = (SELECT id FROM webhooks ORDER BY id LIMIT 1)`);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

describe('Browse: mark two backups and diff them', () => {
	test('m marks (shown as *), = shows per category counts then ids, scrolls, Esc goes back with the marks kept', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 24});
		const list = await app.waitFor('› d-enc');
		expect(list).toContain('m mark');
		// Newest first: d-enc, d-second, d-first. Mark the two plain ones (newer first: A is still the older).
		await app.press('j');
		await app.waitFor('› d-second');
		await app.press('m');
		await app.waitFor('›*d-second');
		await app.press('j');
		await app.waitFor('› d-first');
		await app.press('m');
		await app.waitFor('›*d-first');
		await app.press('=');
		const diff = await app.waitFor('Memory: 3 removed');
		expect(diff).toMatch(/A: .*d-first/);
		expect(diff).toMatch(/B: .*d-second/);
		expect(diff).toContain('Tools: 1 changed');
		expect(diff).toContain('Users: no changes');
		// Scrolled to the end: the ids.
		await app.press('G');
		const end = await app.waitFor(`~ tools ${renamedTool}`);
		expect(end).toContain('In all: 0 added, 3 removed, 1 changed.');
		expect(end.match(/^ {2}- memory_entries /gm)).toHaveLength(3);
		expect(end).toMatch(/lines \d+–\d+ of \d+/);
		await app.press(KEY.escape);
		const back = await app.waitFor('›*d-first');
		expect(back).toMatch(/ \*d-second/);
	});

	test('one backup against the live store; an encrypted one asks for the passphrase first', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 24});
		await app.waitFor('› d-enc');
		await app.press('=');
		await app.waitFor('Passphrase of the encrypted backup');
		await app.press('pass phrase', KEY.enter);
		const diff = await app.waitFor('Webhooks: 1 changed');
		expect(diff).toMatch(/A: .*d-enc/);
		expect(diff).toContain(`B: live store ${gateway.dataDir}`);
		expect(diff).toContain('Memory: no changes');
	});

	test('the diff view stays within the terminal from 50x16 to 200x60, nothing drawn over anything', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 24});
		await app.waitFor('› d-enc');
		for (const [key, shown] of [['j', '› d-second'], ['m', '›*d-second'], ['j', '› d-first'], ['m', '›*d-first'], ['=', 'Memory: 3 removed']]) {
			await app.press(key!);
			await app.waitFor(shown!);
		}
		for (const [columns, rows] of [[50, 16], [80, 24], [120, 40], [200, 60]] as const) {
			const before = composedFrames();
			app.resize(columns, rows);
			let mark;
			do {
				mark = app.frameCount();
				await settled();
			} while (app.frameCount() !== mark);
			const frame = app.frame();
			const lines = frame.split('\n');
			expect(lines.length, `${columns}x${rows}:\n${frame}`).toBeLessThanOrEqual(rows);
			for (const line of lines) expect([...line].length, `${columns}x${rows}: ${line}`).toBeLessThanOrEqual(columns);
			expect(composedFrames()).toBeGreaterThan(before);
			expect(lastCollisions(), `${columns}x${rows}`).toEqual([]);
			// The key line and the diff's own lines are both on screen.
			expect(frame).toMatch(/Esc\/q back/);
			expect(frame).toMatch(/A: /);
		}
	});

	test('the pair: the older marked backup is A; a third mark drops the oldest; one mark or none compares with live', () => {
		expect(toggleMark(['a', 'b'], 'c')).toEqual(['b', 'c']);
		expect(toggleMark(['a', 'b'], 'a')).toEqual(['b']);
		const backups = [
			{path: 'new', createdAt: '2026-01-03T00:00:00Z'},
			{path: 'old', createdAt: '2026-01-01T00:00:00Z'},
		];
		expect(diffPair(['new', 'old'], backups[0], backups)).toEqual({a: backups[1], b: backups[0]});
		expect(diffPair(['old'], backups[0], backups)).toEqual({a: backups[1], b: undefined});
		expect(diffPair([], backups[0], backups)).toEqual({a: backups[0], b: undefined});
		expect(diffPair(['gone'], undefined, backups)).toBeUndefined();
	});
});
