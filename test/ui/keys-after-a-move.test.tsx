import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {applyRestore} from '../../source/core/restore/index.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, settled, type Rendered} from './harness.js';

/**
 * A key that acts on the highlighted row, typed straight after a move (in the same read, or in
 * the next one before React has drawn the move), acts on the row the move reached. Before, the
 * screen learnt of the move one render later (an effect), so `j` then `m`, `v`, `d`, `=`… marked,
 * verified, deleted or compared the row the cursor had just left.
 */

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(43);
	await makeBackup(gateway, {name: 'c-one', now: new Date('2026-01-01T10:00:00Z')});
	// Encrypted: v and = ask its passphrase (naming it), where the plain c-three would just run.
	await makeBackup(gateway, {name: 'c-two', passphrase: 'pass phrase two', now: new Date('2026-01-02T10:00:00Z')});
	await makeBackup(gateway, {name: 'c-three', now: new Date('2026-01-03T10:00:00Z')});
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** Each action key, what it shows when it acts on c-two, and what it would show on c-three. */
const ACTIONS: Array<{key: string; name: string; onTwo: RegExp; onThree: RegExp}> = [
	{key: 'm', name: 'mark', onTwo: /›\*c-two/, onThree: /\*c-three/},
	{key: 'v', name: 'verify', onTwo: /Passphrase for c-two/, onThree: /Verif(ying|ied)/},
	{key: 'r', name: 'restore', onTwo: /Restore · .*c-two/, onThree: /c-three\.zip/},
	{key: 'd', name: 'delete', onTwo: /Delete c-two/, onThree: /Delete c-three/},
	{key: 'c', name: 'copy', onTwo: /Copy c-two\S* to/, onThree: /Copy c-three/},
	{key: '=', name: 'diff', onTwo: /Passphrase of the encrypted backup/, onThree: /Comparing|A: .*c-three/},
	{key: '\r', name: 'details', onTwo: /File\s+.*c-two/, onThree: /File\s+.*c-three/},
];

/** The key in the same write as the move, or in the next write before any frame is drawn. */
const DELIVERIES: Array<{name: string; send: (app: Rendered, key: string) => void}> = [
	{name: 'in one write', send: (app, key) => app.stdin.write(`j${key}`)},
	{name: 'in the next write', send: (app, key) => {
		app.stdin.write('j');
		app.stdin.write(key);
	}},
];

describe('Browse: an action key straight after a move acts on the backup the move reached', () => {
	for (const action of ACTIONS) {
		for (const delivery of DELIVERIES) {
			test(`j then ${action.name} (${JSON.stringify(action.key)}) ${delivery.name}`, async () => {
				app = renderApp(gateway, {route: {name: 'browse'}, rows: 30});
				await app.waitFor('› c-three');
				await settled();
				const mark = app.frameCount();
				delivery.send(app, action.key);
				await app.waitFor(action.onTwo);
				await settled();
				const seen = app.framesSince(mark).join('\n');
				expect(seen).not.toMatch(action.onThree);
				expect(seen).not.toContain('ignored');
			});
		}
	}

	test('"jmjm" marks two backups in one write; "=" then compares them', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 30});
		await app.waitFor('› c-three');
		await settled();
		app.stdin.write('mjm');
		const frame = await app.waitFor('›*c-two');
		expect(frame).toMatch(/ \*c-three/);
		expect(frame).not.toMatch(/\*c-one/);
	});
});

describe('Quarantine: a or x straight after a move asks about the entry the move reached', () => {
	let quarantined: GatewayChoice;
	let restoreId: string;

	beforeAll(async () => {
		quarantined = await demoGateway(72);
		const backup = await makeBackup(quarantined, {name: 'before-edits', tenant: 'globex', categories: ['users', 'agents']});
		const db = new Database(path.join(quarantined.dataDir, 'data', 'gateway.db'));
		const ids = db.prepare(`SELECT a.id FROM agents a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'globex' ORDER BY a.id LIMIT 3`).pluck(true).all() as string[];
		for (const id of ids) db.prepare(`UPDATE agents SET status = 'edited-live' WHERE id = ?`).run(id);
		db.close();
		const result = await applyRestore({dataDir: quarantined.dataDir, source: await openBackupSource(backup.path), mode: 'additive'});
		restoreId = result.restoreId;
	});

	for (const delivery of DELIVERIES) {
		for (const [key, word] of [['a', 'Accept'], ['x', 'Discard']] as const) {
			test(`j then ${key} ${delivery.name}`, async () => {
				app = renderApp(quarantined, {route: {name: 'quarantine'}, rows: 30});
				await app.waitFor(`› ${restoreId}`);
				await app.press(KEY.enter);
				const list = await app.waitFor(/› Agents\s+agents\s+\S+/);
				const rows = [...list.matchAll(/^[› ] Agents\s+agents\s+(\S+)/gm)].map(match => match[1]!);
				expect(rows).toHaveLength(3);
				await settled();
				const mark = app.frameCount();
				delivery.send(app, key);
				await app.waitFor(`${word} agents:${rows[1]}?`);
				await settled();
				const seen = app.framesSince(mark).join('\n');
				expect(seen).not.toContain(`${word} agents:${rows[0]}?`);
				expect(seen).not.toContain('ignored');
			});
		}
	}
});
