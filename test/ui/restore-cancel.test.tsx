import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterEach, describe, expect, test} from 'vitest';
import {applyRestore, type RestoreOptions} from '../../source/core/restore/index.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, runsOnWhileTooSmall, waitUntil, type Rendered} from './harness.js';

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/**
 * The real applyRestore, held at a known point: it reports a category being restored, then waits
 * until the test opens the gate (or the console cancels) before running with the console's signal.
 */
function heldRestore() {
	let open!: () => void;
	const gate = new Promise<void>(resolve => (open = resolve));
	const runs: RestoreOptions[] = [];
	const held = async (options: RestoreOptions) => {
		runs.push(options);
		options.onProgress?.({phase: 'apply', category: 'skills', rows: 3, bytesDone: 0, bytesTotal: 0});
		await new Promise<void>(resolve => {
			void gate.then(resolve);
			options.signal?.addEventListener('abort', () => resolve(), {once: true});
		});
		return applyRestore(options);
	};
	return {engine: {applyRestore: held}, open, runs};
}

/** Restores the gateway has recorded (one audit row per tenant per restore). */
function restoresRecorded(gateway: GatewayChoice): number {
	const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'), {readonly: true});
	try {
		return (handle.prepare(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'backup.restore'`).get() as {n: number}).n;
	} finally {
		handle.close();
	}
}

/** Restore of a tools+skills backup, replace, confirmed: the restore starts (held). */
async function startReplace(gateway: GatewayChoice, held: ReturnType<typeof heldRestore>): Promise<Rendered> {
	await makeBackup(gateway, {name: 'held', categories: ['tools', 'skills']});
	const rendered = renderApp(gateway, {route: {name: 'restore'}, props: {engine: held.engine}});
	await rendered.waitFor('› held.zip');
	await rendered.press(KEY.enter);
	await rendered.waitFor('[x] Tools');
	await rendered.press(KEY.enter);
	await rendered.waitFor('› Additive');
	await rendered.press('j', KEY.enter);
	await rendered.waitFor('Replace of held', 30_000);
	await rendered.press('r');
	await rendered.waitFor('Type replace to confirm');
	await rendered.press('replace', KEY.enter);
	await rendered.waitFor('Restoring Skills: 3 rows');
	return rendered;
}

describe('Restore wizard: Esc while restoring asks first', () => {
	test('n and Esc resume: the restore was never cancelled and completes', async () => {
		const gateway = await demoGateway(71);
		const held = heldRestore();
		app = await startReplace(gateway, held);
		expect(app.frame()).toContain('Esc cancels (nothing changes unless the whole restore succeeds)');
		for (const answer of ['n', KEY.escape]) {
			await app.press(KEY.escape);
			const asked = await app.waitFor('Cancel the restore? y/n');
			expect(asked).toContain('Restoring Skills: 3 rows');
			expect(asked).toMatch(/y yes · n no/);
			expect(held.runs[0]!.signal!.aborted).toBe(false);
			await app.press(answer);
			const resumed = await app.waitFor('Esc cancels (nothing changes');
			expect(resumed).not.toContain('Cancel the restore?');
			expect(held.runs[0]!.signal!.aborted).toBe(false);
		}
		held.open();
		await app.waitFor('✓ Restored (replace)', 30_000);
		expect(restoresRecorded(gateway)).toBeGreaterThan(0);
	});

	test('y cancels: "Restore cancelled; nothing was changed", no restore recorded, no staging left', async () => {
		const gateway = await demoGateway(72);
		const held = heldRestore();
		app = await startReplace(gateway, held);
		await app.press(KEY.escape);
		await app.waitFor('Cancel the restore? y/n');
		await app.press('y');
		await app.waitFor('Restore cancelled; nothing was changed', 30_000);
		expect(held.runs[0]!.signal!.aborted).toBe(true);
		expect(restoresRecorded(gateway)).toBe(0);
		const staging = path.join(gateway.dataDir, '.lifeboat-restore');
		expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
	});

	test('on a terminal too small for the console the restore runs on, Esc y and q do not cancel it, and growing shows its result', async () => {
		const gateway = await demoGateway(73);
		const held = heldRestore();
		app = await startReplace(gateway, held);
		await runsOnWhileTooSmall(app, async () => {
			held.open();
			await waitUntil(() => restoresRecorded(gateway) > 0, 'the restore completes while the terminal is too small');
		});
		expect(held.runs).toHaveLength(1);
		expect(held.runs[0]!.signal!.aborted).toBe(false);
		app.resize(80, 24);
		await app.waitFor('✓ Restored (replace)', 30_000);
	});
});
