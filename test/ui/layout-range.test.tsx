import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, settled, type Rendered} from './harness.js';
import {composedFrames, installOverlapProbe, lastCollisions} from './overlap-probe.js';

/**
 * Every screen at the corners of the supported range (50x16 … 200x60, and 80x24), with and
 * without `?` help: nothing is drawn over anything else, nothing is wider or taller than the
 * terminal, and every key line a screen means to show is either there intact or reported as cut.
 */
const SIZES: ReadonlyArray<readonly [number, number]> = [
	[80, 24],
	[50, 16],
	[50, 60],
	[200, 16],
	[200, 60],
];

/** Says that content was cut: a list position ("1–9 of 18"), "… N more …", "+N more". */
const CUT = /\d+–\d+ of \d+|… [\d,]+ more|\+[\d,]+ more/;

/** A line a screen means to show: `label` starts a line, followed on it by a value matching `value`. */
type Expected = {label: string; value: RegExp};

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	await installOverlapProbe();
	gateway = await demoGateway(91);
	await makeBackup(gateway, {name: 'all-tenants'});
	await makeBackup(gateway, {name: 'acme-only', tenant: 'acme-corp'});
	editLive(gateway);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** Edits 2 agents and 3 memory entries of acme-corp, so restoring acme-only meets conflicts. */
function editLive(choice: GatewayChoice) {
	const handle = new Database(path.join(choice.dataDir, 'data', 'gateway.db'));
	try {
		const tenant = (handle.prepare(`SELECT id FROM tenants WHERE slug = 'acme-corp'`).get() as {id: string}).id;
		handle.prepare(`UPDATE agents SET name = name || ' (edited)' WHERE id IN (SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 2)`).run(tenant);
		handle.prepare(`UPDATE memory_entries SET content = 'edited live' WHERE id IN (SELECT id FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 3)`).run(tenant);
	} finally {
		handle.close();
	}
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Waits until no new frame is drawn across a settle: the frame measures its body after drawing
 * and may draw once more (the "… N more lines" row), after the first settle.
 */
async function quiet(rendered: Rendered): Promise<void> {
	let mark;
	do {
		mark = rendered.frameCount();
		await settled();
	} while (rendered.frameCount() !== mark);
}

/** Every check on one frame; returns the problems found (empty when the frame is clean). */
function problems(frame: string, columns: number, rows: number, expected: readonly Expected[]): string[] {
	const found: string[] = [];
	const lines = frame.split('\n');
	if (lines.length > rows - 1) found.push(`${lines.length} lines on a ${rows}-row terminal`);
	for (const line of lines) if ([...line].length > columns) found.push(`line wider than ${columns}: ${line}`);
	for (const collision of lastCollisions()) found.push(`drawn twice at ${collision.x},${collision.y}: "${collision.first.trim()}" under "${collision.second.trim()}"`);
	const cut = CUT.test(frame);
	for (const {label, value} of expected) {
		const pattern = new RegExp(`^[ ›]*${escape(label)}\\s+`);
		const line = lines.find(text => pattern.test(text));
		if (line === undefined) {
			if (!cut) found.push(`"${label}" is missing and nothing says the screen was cut`);
			continue;
		}
		const rest = line.replace(pattern, '');
		if (!value.test(rest)) found.push(`"${label}" is followed by "${rest}", not ${String(value)}`);
	}
	return found;
}

/** Resizes through every corner, `?` help closed then open, and collects what is wrong. */
async function everySize(what: string, expected: readonly Expected[], options: {help?: boolean} = {}): Promise<string[]> {
	const rendered = app!;
	const found: string[] = [];
	for (const [columns, rows] of SIZES) {
		const before = composedFrames();
		rendered.resize(columns, rows);
		await quiet(rendered);
		const views: Array<[string, boolean]> = options.help === false ? [['', false]] : [['', false], [' with ? help', true]];
		for (const [label, help] of views) {
			if (help) await rendered.press('?');
			await quiet(rendered);
			if (process.env.LAYOUT_SHOW) console.log(`${what}${label} at ${columns}x${rows}\n${rendered.frame()}`);
			found.push(...problems(rendered.frame(), columns, rows, expected).map(problem => `${what}${label} at ${columns}x${rows}: ${problem}`));
			if (help) {
				const helpFrame = rendered.frame();
				if (!/Keys of this screen/.test(helpFrame)) found.push(`${what} at ${columns}x${rows}: ? shows no key help`);
				await rendered.press('?');
				await quiet(rendered);
			}
		}
		// The probe saw this frame being composed (else its "no collisions" would mean nothing).
		expect(composedFrames()).toBeGreaterThan(before);
	}
	rendered.resize(80, 24);
	await quiet(rendered);
	return found;
}

const HOME: Expected[] = [
	{label: 'Gateway', value: /^\S*gateway\s*$/},
	{label: 'Tenants', value: /^2 · acme-corp, globex\s*$/},
	{label: 'Size on disk', value: /^[\d.]+ (B|kB|MB)\s*$/},
	{label: 'Last backup', value: /^(acme-only|all-tenants) · /},
];

describe('layout from 50x16 to 200x60', () => {
	test('Home at 60x20 and 50x20, on launch and on resize: each line keeps its label and value', async () => {
		const found: string[] = [];
		for (const [columns, rows] of [
			[60, 20],
			[50, 20],
		] as const) {
			app = renderApp(gateway, {columns, rows});
			const frame = await app.waitFor(text => /Last backup\s+\w/.test(text) && /Size on disk\s+\d/.test(text));
			found.push(...problems(frame, columns, rows, HOME).map(problem => `launch ${columns}x${rows}: ${problem}`));
			app.unmount();
		}
		app = renderApp(gateway);
		await app.waitFor(text => /Last backup\s+\w/.test(text) && text.includes('Audit log'));
		for (const [columns, rows] of [
			[60, 20],
			[50, 20],
		] as const) {
			app.resize(columns, rows);
			await quiet(app);
			found.push(...problems(app.frame(), columns, rows, HOME).map(problem => `resize ${columns}x${rows}: ${problem}`));
		}
		expect(found).toEqual([]);
	});

	test('? lists every key a screen handles, with its meaning, not only the footer', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 40});
		await app.waitFor('› acme-only');
		await app.press('?');
		const frame = await app.waitFor('Keys of this screen');
		const help = frame.slice(frame.indexOf('Keys of this screen'));
		for (const [keys, meaning] of [
			['↑↓/jk', 'move one row'],
			['PgUp/PgDn', 'move one page'],
			['g/G', 'first / last row'],
			['Enter', 'show the details of the highlighted backup'],
			['v', 'verify: read every file'],
			['r', 'restore from this backup'],
			['d', 'delete this backup file'],
			['c', 'copy this backup'],
			['f', 'look in another backups folder'],
			['Esc/q', 'back'],
			['?', 'show or hide this list of keys'],
			['Ctrl+C', 'quit the console at once'],
		]) {
			expect(help, keys).toMatch(new RegExp(`(^|\\s)${escape(keys)}\\s+${escape(meaning)}`, 'm'));
		}
		// The footer keeps its short form.
		expect(frame).toMatch(/^↑↓\/jk move · Enter select · v verify/m);
	});

	test('a list uses the rows it has: no "of N" while it fits, and when it pages no row is left empty', async () => {
		app = renderApp(gateway, {route: {name: 'create'}, rows: 24});
		await app.waitFor('› Everything');
		await app.press('j', KEY.enter);
		let frame = await app.waitFor('[ ] Users');
		// 18 categories in 24 rows: every one is shown, nothing pages.
		expect(frame).toContain('[ ] Gateway config');
		expect(frame).not.toMatch(/of 18/);
		app.resize(80, 16);
		await quiet(app);
		frame = app.frame();
		const lines = frame.split('\n');
		expect(frame, frame).toMatch(/1–\d+ of 18/);
		// Title, step line, margin, rows, position, key line: the list fills every row of the frame.
		expect(lines).toHaveLength(15);
		expect(lines.filter(line => line.trim() === '')).toHaveLength(1);
		const position = lines.findIndex(line => /of 18/.test(line));
		expect(lines[position + 1]).toMatch(/^↑↓\/jk move/);
	});

	test('Home', async () => {
		app = renderApp(gateway);
		await app.waitFor(frame => frame.includes('Audit log') && /Last backup\s+\w/.test(frame));
		expect(await everySize('Home', HOME)).toEqual([]);
	});

	test('Create wizard: every step', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		const found: string[] = [];
		await app.waitFor('› Everything');
		found.push(...(await everySize('Create scope', [])));
		await app.press('j', KEY.enter);
		await app.waitFor('[ ] Users');
		found.push(...(await everySize('Create categories', [])));
		await app.press(KEY.escape);
		await app.waitFor('› Pick categories');
		await app.press('k', KEY.enter);
		await app.waitFor('› All tenants');
		found.push(...(await everySize('Create tenant', [])));
		await app.press(KEY.enter);
		await app.waitFor('› zip (default)');
		found.push(...(await everySize('Create format', [])));
		await app.press(KEY.enter);
		await app.waitFor('› None');
		found.push(...(await everySize('Create encryption', [])));
		await app.press(KEY.enter);
		await app.waitFor('Folder to write the backup to');
		found.push(...(await everySize('Create destination', [], {help: false})));
		await app.press('t');
		await app.waitFor('✓ The destination works');
		found.push(...(await everySize('Create destination, tested', [])));
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		found.push(...(await everySize('Create name', [], {help: false})));
		await app.press(KEY.enter);
		await app.waitFor('Enter start backup');
		found.push(...(await everySize('Create review', [{label: 'Output', value: /\.zip\s*$/}])));
		expect(found).toEqual([]);
	});

	test('Browse: list and details', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}});
		const found: string[] = [];
		await app.waitFor('› acme-only');
		found.push(...(await everySize('Browse list', [])));
		await app.press('v');
		await app.waitFor('✓ Verified', 30_000);
		found.push(...(await everySize('Browse list, verified', [])));
		await app.press('s');
		await app.waitFor('Another path or URL…');
		found.push(...(await everySize('Browse switcher', [])));
		await app.press(KEY.escape);
		await app.waitFor(frame => !frame.includes('Another path or URL…'));
		await app.press(KEY.enter);
		await app.waitFor('Made by');
		found.push(
			...(await everySize('Browse details', [
				{label: 'File', value: /acme-only\.zip\s*$/},
				{label: 'Created', value: /^\d{4}-\d\d-\d\d \d\d:\d\d · /},
				{label: 'Scope', value: /^tenant acme-corp · \d+ categories\s*$/},
				{label: 'Encrypted', value: /^no\s*$/},
				{label: 'Made by', value: /^lifeboat \S+ on /},
			])),
		);
		expect(found).toEqual([]);
	});

	test('Restore: pick, categories, target, mode, dry run, conflicts, one conflict, summary, quarantine', async () => {
		app = renderApp(gateway, {route: {name: 'restore'}});
		const found: string[] = [];
		await app.waitFor('acme-only.zip');
		found.push(...(await everySize('Restore pick', [])));
		await app.press(KEY.enter);
		await app.waitFor('[x] Users');
		found.push(...(await everySize('Restore categories', [])));
		await app.press(KEY.enter);
		await app.waitFor('› Same tenant: acme-corp');
		found.push(...(await everySize('Restore target', [])));
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		found.push(...(await everySize('Restore mode', [])));
		await app.press(KEY.enter);
		await app.waitFor('Additive of acme-only', 30_000);
		// The first two columns; narrower terminals cut the rest and say so ("Widen the terminal").
		const planRow = /^[\d,]+\s+[\d,]+\s/;
		found.push(
			...(await everySize('Restore dry run', [
				{label: 'Category', value: /^New\s+Identical\s/},
				{label: 'Agents', value: planRow},
				{label: 'Memory', value: planRow},
				{label: 'Tools', value: planRow},
				{label: 'Connections', value: planRow},
				{label: 'Audit log', value: planRow},
				{label: 'Total', value: planRow},
			])),
		);
		await app.press('j');
		await app.waitFor('› Agents');
		await app.press(KEY.enter);
		await app.waitFor('2 conflicts in Agents');
		found.push(...(await everySize('Restore conflicts', [])));
		await app.press(KEY.enter);
		await app.waitFor(/fields? differs?/, 20_000);
		found.push(...(await everySize('Restore conflict', [])));
		await app.press(KEY.escape);
		await app.waitFor('2 conflicts in Agents');
		await app.press(KEY.escape);
		await app.waitFor('Additive of acme-only');
		await app.press('r');
		await app.waitFor('✓ Restored (additive)', 30_000);
		found.push(
			...(await everySize('Restore summary', [
				{label: 'New', value: /^[\d,]+ \(written\)/},
				{label: 'Conflicts', value: /^5 \(set aside, see Quarantined\)/},
				{label: 'Quarantined', value: /^5 in\b/},
				{label: 'Restore id', value: /^\S+\s*$/},
			])),
		);
		await app.press(KEY.enter);
		await app.waitFor('Entries');
		found.push(...(await everySize('Quarantine restores', [])));
		await app.press(KEY.enter);
		await app.waitFor('Differs');
		found.push(...(await everySize('Quarantine entries', [])));
		await app.press(KEY.enter);
		await app.waitFor(/fields? differs?/);
		found.push(...(await everySize('Quarantine entry', [])));
		await app.press('a');
		await app.waitFor('Accept ');
		found.push(...(await everySize('Quarantine accept?', [], {help: false})));
		expect(found).toEqual([]);
	});
});
