import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {ZipSource} from '../../source/core/archive/archive-reader.js';
import type {DrillOptions} from '../../source/core/drill/drill-types.js';
import {runDrill} from '../../source/core/drill/run-drill.js';
import {CANCELLED_NOTICE} from '../../source/ui/state/drill.js';
import {drillReportDir} from '../../source/core/drill/index.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {exec, storeDigest, flipByteInLargestEntry} from '../restore-support.js';
import {installOverlapProbe, lastCollisions} from './overlap-probe.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

let app: Rendered | undefined;

beforeAll(async () => {
	await installOverlapProbe();
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const CHECK_ROWS = ['Archive verifies', 'Restores to scratch', 'Row counts match', 'File SHA-256s match', 'SQLite integrity', 'References resolve', 'Gateway opens', 'Live comparison'];

/** The config folder the last console was given: its drill reports go under it. */
let configDir = '';

/** Home → d → the backup folder → the highlighted (latest) backup. */
async function openDrill(gateway: GatewayChoice, options: Parameters<typeof renderApp>[1] = {}): Promise<Rendered> {
	configDir = tempDir('lifeboat-ui-config-');
	const rendered = renderApp(gateway, {...options, props: {...options.props, env: {...process.env, LIFEBOAT_CONFIG_DIR: configDir}}});
	await rendered.waitFor('DR drill');
	await rendered.press('d');
	await rendered.waitFor('Where are the backups?');
	await rendered.press(KEY.enter);
	await rendered.waitFor('latest');
	return rendered;
}

/** The report path shown after "Report", over however many rows it was broken into. */
function reportPath(frame: string): string {
	const lines = frame.split('\n');
	const first = lines.findIndex(line => line.startsWith('Report  '));
	const rows = [lines[first]!];
	for (const line of lines.slice(first + 1)) {
		if (!line.startsWith(' '.repeat(8))) break;
		rows.push(line);
	}
	return rows.map(row => row.slice(8).trimEnd()).join('');
}

const widest = (frame: string) => Math.max(...frame.split('\n').map(line => [...line].length));

describe('DR drill screen', () => {
	test('a good backup: every check passes, then RPO, RTO, the report files (written) and the checklist; the live data dir is unchanged', async () => {
		const gateway = await demoGateway(81);
		await makeBackup(gateway, {name: 'older'});
		await makeBackup(gateway, {name: 'nightly'});
		const before = storeDigest(gateway.dataDir);
		app = await openDrill(gateway);
		// The latest backup is the one highlighted.
		expect(app.frame()).toMatch(/› nightly\.zip .* latest/);
		await app.press(KEY.enter);
		const done = await app.waitFor('Drill passed', 60_000);
		expect(done).toContain('DR drill · Passed · nightly.zip');
		for (const row of CHECK_ROWS) expect(done).toMatch(new RegExp(`✓ ${row}`));
		expect(done).toMatch(/RPO {5}backup age \d+ (s|min) · the live store holds nothing the backup lacks/);
		expect(done).toMatch(/RTO {5}restore [\d.]+ (ms|s) · [\d.]+ (KB|MB) at [\d.]+ (KB|MB)\/s/);
		const markdown = reportPath(done);
		expect(path.dirname(markdown)).toBe(drillReportDir({LIFEBOAT_CONFIG_DIR: configDir}));
		expect(fs.readFileSync(markdown, 'utf8')).toContain('nightly');
		const json = JSON.parse(fs.readFileSync(markdown.replace(/\.md$/, '.json'), 'utf8')) as {ok: boolean};
		expect(json.ok).toBe(true);
		// The drill is in the history `lifeboat drill --history` lists, with its reports.
		const history = fs.readFileSync(path.join(configDir, 'drills.jsonl'), 'utf8').trim().split('\n');
		expect(history).toHaveLength(1);
		expect(JSON.parse(history[0]!)).toMatchObject({ok: true, backup: {name: 'nightly'}, report: {markdown, json: markdown.replace(/\.md$/, '.json')}});
		// The checklist is further down: scroll to the end.
		await app.press('G');
		const end = await app.waitFor('After a real restore of this backup:');
		expect(end).toContain('Rotate any API tokens');
		expect(storeDigest(gateway.dataDir)).toEqual(before);
		expect(app.fatals).toEqual([]);
	}, 120_000);

	test('the live data dir changed since the backup: the per-category table says where', async () => {
		const gateway = await demoGateway(82);
		await makeBackup(gateway, {name: 'before-change'});
		exec(gateway.dataDir, `UPDATE tools SET description = 'changed after the backup' WHERE id = (SELECT id FROM tools ORDER BY id LIMIT 1)`);
		const before = storeDigest(gateway.dataDir);
		app = await openDrill(gateway);
		await app.press(KEY.enter);
		const done = await app.waitFor('Drill passed', 60_000);
		expect(done).toMatch(/RPO {5}backup age \d+ (s|min) · live differs: 0 new, 1 changed \(table below\)/);
		await app.press('G');
		const table = await app.waitFor('other categories: the same entries in both');
		expect(table).toMatch(/Category +Live only +Changed +Backup only/);
		expect(table).toMatch(/Tools +0 +1 +0/);
		expect(storeDigest(gateway.dataDir)).toEqual(before);
	}, 120_000);

	test('a backup with one flipped byte: the verify check fails and says why, the rest are skipped', async () => {
		const gateway = await demoGateway(83);
		const made = await makeBackup(gateway, {name: 'flipped'});
		const file = made.path;
		fs.writeFileSync(file, flipByteInLargestEntry(fs.readFileSync(file)));
		app = await openDrill(gateway);
		await app.press(KEY.enter);
		const done = await app.waitFor('Drill failed', 60_000);
		expect(done).toContain('DR drill · Failed · flipped.zip');
		expect(done).toMatch(/✗ Drill failed at Archive verifies: \S/);
		expect(done).toMatch(/✗ Archive verifies +\S/);
		for (const row of CHECK_ROWS.slice(1)) expect(done).toMatch(new RegExp(`– ${row} +the backup does not verify`));
	}, 120_000);

	test('an encrypted backup asks for its passphrase; a wrong one is asked again, the right one runs', async () => {
		const gateway = await demoGateway(84);
		await makeBackup(gateway, {name: 'sealed', passphrase: 'correct horse battery staple'});
		app = await openDrill(gateway);
		expect(app.frame()).toMatch(/› sealed\.zip\.enc .* enc latest/);
		await app.press(KEY.enter);
		await app.waitFor('Passphrase for sealed.zip.enc');
		await app.press('wrong one', KEY.enter);
		const again = await app.waitFor('✗');
		expect(again).toContain('Passphrase for sealed.zip.enc');
		expect(again).toMatch(/type it again, or Esc/);
		await app.press('correct horse battery staple', KEY.enter);
		await app.waitFor('Drill passed', 60_000);
	}, 120_000);

	test('Esc while running asks first; n resumes, y cancels: the scratch folder is removed and the list is back', async () => {
		const gateway = await demoGateway(85);
		await makeBackup(gateway, {name: 'held'});
		const held = heldDrill();
		app = await openDrill(gateway, {props: {engine: {runDrill: held.runDrill}}});
		await app.press(KEY.enter);
		const running = await app.waitFor(/Restores to scratch +running…/);
		expect(running).toContain('✓ Archive verifies');
		expect(running).toContain('Esc cancels (the scratch folder is removed; nothing else is touched)');
		expect(fs.readdirSync(held.scratchParent)).toHaveLength(1);
		await app.press(KEY.escape);
		await app.waitFor('Cancel the drill? y/n');
		await app.press('n');
		await app.waitFor('Esc cancels (the scratch folder');
		expect(held.signal()!.aborted).toBe(false);
		await app.press(KEY.escape);
		await app.waitFor('Cancel the drill? y/n');
		await app.press('y');
		const back = await app.waitFor(frame => frame.includes(CANCELLED_NOTICE) && /› held\.zip/.test(frame));
		expect(back).toContain('DR drill · Pick a backup');
		expect(held.signal()!.aborted).toBe(true);
		expect(fs.readdirSync(held.scratchParent)).toEqual([]);
		// The same backup again runs afresh to the end.
		held.open();
		await app.press(KEY.enter);
		await app.waitFor('Drill passed', 60_000);
	}, 120_000);

	test('a drill that cannot start (no scratch folder) says why on the status line; Esc goes back to the list', async () => {
		const gateway = await demoGateway(87);
		await makeBackup(gateway, {name: 'nowhere'});
		const missing = path.join(tempDir('lifeboat-ui-'), 'no-such-folder');
		const engine = {runDrill: (options: DrillOptions) => runDrill({...options, scratchParent: missing})};
		app = await openDrill(gateway, {props: {engine}});
		await app.press(KEY.enter);
		const stopped = (await app.waitFor('✗ The drill stopped')).replace(/\s*\n\s*/g, ' ');
		expect(stopped).toContain('DR drill · Stopped · nowhere.zip');
		expect(stopped).toContain(`✗ Scratch folder ${missing}: no such folder — Esc to go back`);
		await app.press(KEY.escape);
		await app.waitFor(frame => /› nowhere\.zip/.test(frame) && !frame.includes('✗'));
	}, 120_000);

	test('layout at 80x24 and 50x16: rows never drawn over each other, long details cut to the width', async () => {
		const gateway = await demoGateway(86);
		await makeBackup(gateway, {name: `a-backup-with-a-rather-long-name-${'x'.repeat(40)}`});
		for (const [columns, rows] of [
			[80, 24],
			[50, 16],
		] as const) {
			app = await openDrill(gateway, {columns, rows});
			await app.press(KEY.enter);
			const done = await app.waitFor('Drill passed', 60_000);
			expect(widest(done)).toBeLessThanOrEqual(columns);
			expect(done.split('\n').length).toBeLessThanOrEqual(rows);
			expect(lastCollisions()).toEqual([]);
			// Details are cut with an ellipsis on their own row.
			expect(done.split('\n').some(line => /^✓ [A-Z].* +\S.*…$/.test(line))).toBe(true);
			for (const key of ['G', 'g']) {
				await app.press(key);
				const frame = await app.waitFor(/rows \d+–\d+ of \d+/);
				expect(widest(frame)).toBeLessThanOrEqual(columns);
				expect(lastCollisions()).toEqual([]);
			}
			app.unmount();
		}
	}, 180_000);
});

/**
 * The real runDrill with its scratch folder in a known place, held once the restore check
 * starts: every read of the backup from then waits until the test opens the gate (or the drill
 * is cancelled, which fails the read as the console's abort would any read in flight).
 */
function heldDrill() {
	let open!: () => void;
	const gate = new Promise<void>(resolve => (open = resolve));
	const scratchParent = tempDir('lifeboat-ui-scratch-');
	let signal: AbortSignal | undefined;
	const held = async (options: DrillOptions) => {
		signal = options.signal;
		let holding = false;
		const {source} = options;
		if (source.format !== 'zip') throw new Error('heldDrill holds zip backups');
		const wait = () =>
			new Promise<void>((resolve, reject) => {
				void gate.then(resolve);
				if (options.signal?.aborted) reject(new Error('aborted'));
				options.signal?.addEventListener('abort', () => reject(new Error('aborted')), {once: true});
			});
		const zip: ZipSource = {
			size: () => source.zip.size(),
			stream: (offset, length) =>
				holding
					? Readable.from(
							(async function* () {
								await wait();
								yield* source.zip.stream(offset, length);
							})(),
						)
					: source.zip.stream(offset, length),
		};
		return runDrill({
			...options,
			scratchParent,
			source: {...source, zip},
			onCheck: check => {
				if (check.id === 'restore' && check.status === 'running') holding = true;
				options.onCheck?.(check);
			},
		});
	};
	return {runDrill: held, open, scratchParent, signal: () => signal};
}
