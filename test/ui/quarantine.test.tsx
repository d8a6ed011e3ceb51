import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {applyRestore} from '../../source/core/restore/index.js';
import {listQuarantine, listQuarantineEntries} from '../../source/core/quarantine/quarantine.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;
let restoreId: string;
let edited: string[];

function db() {
	return new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
}

beforeAll(async () => {
	gateway = await demoGateway(71);
	const backup = await makeBackup(gateway, {name: 'before-edits', tenant: 'globex', categories: ['users', 'agents']});
	const handle = db();
	edited = (handle.prepare(`SELECT a.id FROM agents a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'globex' ORDER BY a.id LIMIT 3`).all() as Array<{id: string}>).map(row => row.id);
	for (const id of edited) handle.prepare(`UPDATE agents SET status = 'edited-live' WHERE id = ?`).run(id);
	handle.close();
	const result = await applyRestore({dataDir: gateway.dataDir, source: await openBackupSource(backup.path), mode: 'additive'});
	restoreId = result.restoreId;
	expect(result.applied.quarantined).toBe(3);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const agentStatus = (id: string) => {
	const handle = db();
	try {
		return (handle.prepare(`SELECT status FROM agents WHERE id = ?`).get(id) as {status: string}).status;
	} finally {
		handle.close();
	}
};

/** A row of the entries list for one agent. */
const row = (id: string) => new RegExp(`Agents\\s+agents\\s+${id}`);

/** The frames drawn once the y answered `question` (the first one without it, and all after). */
function answered(frames: string[], question: string): string[] {
	const first = frames.findIndex(frame => !frame.includes(question));
	return first === -1 ? [] : frames.slice(first);
}

function expectNeverShown(frames: string[], pattern: RegExp) {
	expect(frames.length).toBeGreaterThan(0);
	const shown = frames.findIndex(frame => pattern.test(frame));
	expect(shown === -1 ? '' : `frame ${shown + 1} of ${frames.length}:\n${frames[shown]}`).toBe('');
}

describe('Quarantine', () => {
	test('lists by restore, shows an entry against the live one, accepts and discards with confirmation', async () => {
		app = renderApp(gateway, {route: {name: 'quarantine'}});
		const restores = await app.waitFor(restoreId);
		expect(restores).toMatch(new RegExp(`› ${restoreId}\\s+\\S+\\s+before-edits\\s+same\\s+3`));
		await app.press(KEY.enter);
		const entries = await app.waitFor(edited[0]!);
		for (const id of edited) expect(entries).toMatch(new RegExp(`Agents\\s+agents\\s+${id}\\s+status`));

		await app.press(KEY.enter);
		const detail = await app.waitFor('Quarantined (backup)');
		expect(detail).toMatch(/1 field differs/);
		expect(detail).toMatch(/≠ status\s+\S+\s+edited-live/);
		await app.press('a');
		await app.waitFor(`Accept agents:${edited[0]}?`);
		await app.press('n');
		await app.waitFor(frame => !frame.includes('Accept agents:'));
		expect(agentStatus(edited[0]!)).toBe('edited-live');
		await app.press('a');
		await app.waitFor(`Accept agents:${edited[0]}?`);
		let mark = app.frameCount();
		await app.press('y');
		await app.waitFor('✓ Accepted');
		expect(agentStatus(edited[0]!)).not.toBe('edited-live');
		await app.waitFor(frame => frame.replace(/\n/g, ' ').includes('2 left in this restore') && frame.includes('› Agents'));
		// Not even for one frame: every frame drawn since the y, not only the ones a poll saw.
		expectNeverShown(answered(app.framesSince(mark), `Accept agents:${edited[0]}?`), row(edited[0]!));

		// x on the highlighted entry of the list, without opening it.
		await app.press('x');
		const discarded = /Discard agents:(\S+)\?/.exec(await app.waitFor(/Discard agents:\S+\?/))![1]!;
		mark = app.frameCount();
		await app.press('y');
		await app.waitFor(frame => frame.includes('✓ Discarded') && frame.includes('› Agents'));
		expectNeverShown(answered(app.framesSince(mark), `Discard agents:${discarded}?`), row(discarded));
		expect(listQuarantineEntries(gateway.dataDir, restoreId)).toHaveLength(1);
		const remaining = listQuarantineEntries(gateway.dataDir, restoreId)[0]!.id;
		expect(agentStatus(remaining)).toBe('edited-live');
		await app.press('x');
		await app.waitFor(`Discard agents:${remaining}?`);
		mark = app.frameCount();
		await app.press('y');
		await app.waitFor('Nothing in quarantine');
		// The emptied restore is not listed again on the way back to the restores.
		expectNeverShown(answered(app.framesSince(mark), `Discard agents:${remaining}?`), row(remaining));
		expectNeverShown(answered(app.framesSince(mark), `Discard agents:${remaining}?`), new RegExp(`${restoreId}\\s+\\S+\\s+before-edits`));
		expect(listQuarantine(gateway.dataDir)).toEqual([]);
		await app.press(KEY.escape);
		await app.waitFor('› Create backup');
	});
});
