import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/** The built binary in a real terminal, started on a folder that is not a gateway. */
const HAVE_TMUX = tmuxAvailable();
let root: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-dd-'));
	await generateDemo({dir: path.join(root, 'gw'), tenants: 2, scale: 'small', seed: 8});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

describe.skipIf(!HAVE_TMUX)('the console on a data dir that is not a gateway (tmux 80x24)', () => {
	test('Create is refused with the reason and the way out; Change data dir to the gateway, then Create opens', async () => {
		// A folder holding files but no gateway (an absent or empty one is a bare host: test/tmux/bare-host).
		const wrong = path.join(root, 'no');
		fs.mkdirSync(wrong);
		fs.writeFileSync(path.join(wrong, 'notes.txt'), 'not a gateway');
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', wrong, '--dest', path.join(root, 'backups')]));
		await session.waitFor('Create backup  needs a gateway');
		await session.key('Enter');
		const refused = (await session.waitFor('Create backup needs a gateway')).replace(/\s*\n\s*/g, ' ');
		expect(refused).toMatch(/✗ Create backup needs a gateway: .*no is not a gateway data directory \(no data\/gateway\.db\) — choose Change data dir, or start lifeboat with --data-dir PATH \(or LIFEBOAT_DATA_DIR\)/);
		for (let step = 0; step < 4; step++) await session.key('j');
		await session.waitFor('› Change data dir');
		await session.key('Enter');
		await session.waitFor('Gateway data directory');
		// The field starts with the current folder: "no" becomes "gw".
		await session.key('BSpace');
		await session.key('BSpace');
		await session.type('gw');
		await session.waitFor(`› ${path.join(root, 'gw')}`);
		await session.key('Enter');
		const home = await session.waitFor('Audit log');
		expect(home).toMatch(/Tenants\s+2 · /);
		expect(home).not.toContain('✗');
		// The cursor stayed on Change data dir: to the top, then Create.
		await session.key('g');
		await session.waitFor('› Create backup');
		await session.key('Enter');
		await session.waitFor('What to back up');
		await session.key('Escape');
		await session.waitFor('› Create backup');
		await session.key('q');
		expect(await session.waitForExit()).toContain('EXIT=0');
	}, 120_000);
});
