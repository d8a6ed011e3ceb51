/**
 * `lifeboat schedule add|list|remove|run-now|install`: the stored command is checked at add time
 * with backup create's own flag table (exact one-line messages, exit 2, nothing written), the
 * schedules file is private and refused when it is not, the lock of run-now.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {Cron} from 'croner';
import {beforeAll, describe, expect, it} from 'vitest';
import {CLI, expectOneLineError, runCli} from './helpers/run-cli.js';
import {liveProcess} from './helpers/schedule-support.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';

let gateway: string;
beforeAll(async () => {
	gateway = await demoGateway({tenants: 1, seed: 8});
});

function setup() {
	const root = tempDir('lifeboat-schedule-cli-');
	const config = path.join(root, 'config');
	return {root, config, env: {LIFEBOAT_CONFIG_DIR: config}, dest: path.join(root, 'backups'), file: path.join(config, 'schedules.json')};
}

const add = (env: NodeJS.ProcessEnv, options: string[], command: string[]) => runCli(['schedule', 'add', ...options, '--', ...command], {env});

type RunRecordJson = {kind: string; ok: boolean; fullInstead?: string; backup: {kind: string}};

/** `schedule run-now NAME --json`, which must exit 0: its run record. */
function runNow(env: NodeJS.ProcessEnv, name: string): RunRecordJson {
	const result = runCli(['schedule', 'run-now', name, '--json'], {env});
	expect(result.code, result.stderr).toBe(0);
	return JSON.parse(result.stdout) as RunRecordJson;
}

describe('schedule add: the command is checked now, not at 3 a.m.', () => {
	const refusals: Array<[string, string[], (g: string, root: string) => string[], RegExp | string]> = [
		['a bad cron expression', ['n', '--cron', '61 * * * *'], g => ['backup', 'create', '--data-dir', g], '--cron "61 * * * *" is not a cron expression (Invalid value for minute: 61); e.g. "0 3 * * *" for 03:00 daily'],
		['a cron that never fires', ['n', '--cron', '0 0 30 2 *'], g => ['backup', 'create', '--data-dir', g], '--cron "0 0 30 2 *" never fires (no such date ahead)'],
		['no cron', ['n'], g => ['backup', 'create', '--data-dir', g], 'A schedule needs --cron "MIN HOUR DAY MONTH WEEKDAY" (e.g. "0 3 * * *"; 6 fields: seconds first)'],
		['a bad time zone', ['n', '--cron', '0 3 * * *', '--tz', 'Mars/Base'], g => ['backup', 'create', '--data-dir', g], '--tz "Mars/Base" is not a time zone (an IANA name such as Europe/Berlin or UTC)'],
		['an unknown flag in the command', ['n', '--cron', '0 3 * * *'], (g, r) => ['backup', 'create', '--data-dir', g, '--destt', r], 'Unknown flag --destt (did you mean --dest? see lifeboat backup create --help)'],
		["another command's flag", ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--tenants', '3'], 'backup create does not take --tenants (did you mean --tenant? see lifeboat backup create --help)'],
		['--passphrase VALUE', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--encrypt', '--passphrase', 'hunter2-secret'], "A schedule never stores a passphrase: remove --passphrase and use --passphrase-file FILE, or set LIFEBOAT_BACKUP_PASSPHRASE in the daemon's environment"],
		['--passphrase=VALUE', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--passphrase=hunter2-secret'], "A schedule never stores a passphrase: remove --passphrase and use --passphrase-file FILE, or set LIFEBOAT_BACKUP_PASSPHRASE in the daemon's environment"],
		['another command', ['n', '--cron', '0 3 * * *'], () => ['backup', 'list'], 'A schedule runs "backup create …" (got "backup list"): lifeboat schedule add NAME --cron "0 3 * * *" -- backup create --dest …'],
		['--out', ['n', '--cron', '0 3 * * *'], (g, r) => ['backup', 'create', '--data-dir', g, '--out', path.join(r, 'x.zip')], 'A schedule writes a new backup each run: use --dest DIR|URL|NAME, not --out'],
		['--name', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--name', 'x'], 'A schedule writes a new backup each run: drop --name (each backup is named by its time)'],
		['--full-every without --incremental', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--full-every', '7'], '--full-every needs --incremental in the backup command (every Nth run full, the others incremental)'],
		['--full-every 0', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--incremental', '--full-every', '0'], '--full-every "0" is not a whole number ≥ 1 (every Nth run is a full backup)'],
		['a value flag without value', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--dest'], '--dest needs a value (--dest VALUE, or --dest=VALUE for one starting with -; see lifeboat backup create --help)'],
		['an argument', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, 'extra'], 'backup create takes no arguments (got 1: extra; see lifeboat backup create --help)'],
		['a missing passphrase file', ['n', '--cron', '0 3 * * *'], (g, r) => ['backup', 'create', '--data-dir', g, '--passphrase-file', path.join(r, 'absent')], /^Cannot read passphrase file .*absent \(ENOENT\)$/],
		['a bad retention count', ['n', '--cron', '0 3 * * *', '--keep-daily', 'x'], g => ['backup', 'create', '--data-dir', g], '--keep-daily "x" is not a count (a whole number, or unlimited)'],
		['a plain-http webhook off loopback', ['n', '--cron', '0 3 * * *', '--webhook', 'http://example.com/x'], g => ['backup', 'create', '--data-dir', g], '--webhook http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost): use https:// for example.com'],
		['a webhook with a password', ['n', '--cron', '0 3 * * *', '--webhook', 'https://u:pw@example.com/x'], g => ['backup', 'create', '--data-dir', g], '--webhook must not carry a user name or password (the schedules file holds no secret)'],
		// The schedules file holds no secret, and list and the console show the command: a URL holding one is refused, unquoted.
		['a destination URL with a password', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--dest', 's3://AKIAEXAMPLE:hunter2@bucket/'], 'Invalid destination "s3://AKIAEXAMPLE:***@bucket/": a URL must not hold a password or secret; credentials come from the environment, a profile or a key file'],
		['a destination URL with a SAS token', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--dest', 'azblob://acct/cont/?sv=2022-11-02&sig=hunter2'], 'Invalid destination "azblob://acct/cont/?…": no query string or fragment'],
		['an Azure endpoint with a SAS token', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--dest', 'azblob://acct/cont/', '--azure-endpoint', 'https://acct.blob.core.windows.net/?sv=2022-11-02&sig=hunter2'], '--azure-endpoint must be an http(s) URL without credentials, query or fragment'],
		['an S3 endpoint with credentials', ['n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g, '--dest', 's3://bucket/', '--s3-endpoint=https://key:hunter2@minio.example'], '--s3-endpoint must be an http(s) URL without credentials, query or fragment'],
		['a webhook that is no URL (a chat webhook without https://: its token is not repeated)', ['n', '--cron', '0 3 * * *', '--webhook', 'hooks.slack.com/services/T0000/B0000/hunter2'], g => ['backup', 'create', '--data-dir', g], '--webhook is not a URL (give it as https://host/path)'],
		['a bad name', ['../n', '--cron', '0 3 * * *'], g => ['backup', 'create', '--data-dir', g], 'Invalid schedule name "../n": use letters, digits, - and _ (up to 64)'],
		['an unknown schedule flag', ['n', '--cron', '0 3 * * *', '--keep-dayly', '7'], g => ['backup', 'create', '--data-dir', g], 'Unknown flag --keep-dayly (did you mean --keep-daily? see lifeboat schedule add --help)'],
	];
	for (const [what, options, command, message] of refusals) {
		it(`refuses ${what} (exit 2, one line, nothing written)`, () => {
			const {root, env, file} = setup();
			const result = add(env, options, command(gateway, root));
			expectOneLineError(result, 2, typeof message === 'string' ? new RegExp(`^lifeboat: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : new RegExp(`^lifeboat: ${message.source.slice(1)}`));
			expect(result.stderr).not.toContain('hunter2');
			expect(fs.existsSync(file)).toBe(false);
		});
	}

	it('refuses a data dir that is no gateway (exit 3) and a second schedule of the same name (exit 4)', () => {
		const {root, env, file} = setup();
		expectOneLineError(add(env, ['n', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', path.join(root, 'nope')]), 3, /does not exist/);
		expect(fs.existsSync(file)).toBe(false);
		expect(add(env, ['n', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway]).code).toBe(0);
		const before = fs.readFileSync(file, 'utf8');
		expectOneLineError(add(env, ['n', '--cron', '0 4 * * *'], ['backup', 'create', '--data-dir', gateway]), 4, /^lifeboat: A schedule named n exists already; remove it first \(lifeboat schedule remove n\)$/);
		expect(fs.readFileSync(file, 'utf8')).toBe(before);
	});
});

describe('cron expressions', () => {
	it('"?" is any, as "*", whenever the expression is read (croner alone read it as that moment)', async () => {
		const {nextRun} = await import('../source/core/schedule/cron.js');
		const pairs = [['0 0 ? * *', '0 0 * * *'], ['? * * * *', '* * * * *'], ['0 0 3 ? * MON', '0 0 3 * * MON'], ['30 2 ? * ?', '30 2 * * *']];
		for (const at of ['2026-12-06T09:59:59.500Z', '2027-02-28T23:59:00Z', '2026-03-08T06:30:00Z']) {
			for (const [question, star] of pairs) expect(nextRun(question!, 'UTC', new Date(at))?.toISOString(), `${question} after ${at}`).toBe(nextRun(star!, 'UTC', new Date(at))?.toISOString());
		}
	});
});

describe('schedules.json', () => {
	it('is stored canonical (absolute paths, --flag=value), 0600 in a 0700 folder, with no passphrase; list shows the next run; remove forgets it', () => {
		const {root, env, file, config} = setup();
		const passphraseFile = path.join(root, 'pass');
		fs.writeFileSync(passphraseFile, 'correct horse battery staple 42\n', {mode: 0o600});
		const relative = path.relative(process.cwd(), path.join(root, 'backups'));
		const hook = 'https://hooks.example.com/services/T0K3N';
		const added = add(env, ['nightly', '--cron', '0 3 * * *', '--tz', 'Europe/Berlin', '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', 'unlimited', '--webhook', hook], ['backup', 'create', '--data-dir', gateway, '--dest', relative, '--passphrase-file', passphraseFile, '--incremental', '--full-every', '7']);
		expect(added.code, added.stderr).toBe(0);
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(fs.statSync(config).mode & 0o777).toBe(0o700);
		const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
		expect(stored).toEqual({
			version: 1,
			schedules: [
				{
					name: 'nightly',
					cron: '0 3 * * *',
					timezone: 'Europe/Berlin',
					command: ['backup', 'create', `--data-dir=${gateway}`, `--dest=${path.join(root, 'backups')}`, `--passphrase-file=${passphraseFile}`, '--incremental'],
					fullEvery: 7,
					retention: {daily: 7, weekly: 4, monthly: 'unlimited'},
					webhook: hook,
					createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
				},
			],
		});
		expect(fs.readFileSync(file, 'utf8')).not.toContain('correct horse');

		const listed = runCli(['schedule', 'list', '--json'], {env});
		expect(listed.code, listed.stderr).toBe(0);
		const json = JSON.parse(listed.stdout);
		const expectedNext = new Cron('0 3 * * *', {timezone: 'Europe/Berlin', paused: true}).nextRun()!.toISOString();
		expect(json.schedules[0]).toMatchObject({name: 'nightly', nextRun: expectedNext, lastRun: null, running: null, webhook: 'https://hooks.example.com/…'});
		expect(listed.stdout).not.toContain('T0K3N');
		const text = runCli(['schedule', 'list'], {env});
		expect(text.stdout).toContain(`nightly  0 3 * * * (Europe/Berlin)  next ${expectedNext}`);
		expect(text.stdout).toContain('  last: never ran');
		expect(text.stdout).toContain('  retention: 7 daily, 4 weekly, unlimited monthly');

		expect(runCli(['schedule', 'remove', 'nightly'], {env}).stdout).toBe('Removed schedule nightly (its backups are kept)\n');
		expect(JSON.parse(fs.readFileSync(file, 'utf8')).schedules).toEqual([]);
		expectOneLineError(runCli(['schedule', 'remove', 'nightly'], {env}), 2, /^lifeboat: No schedule named "nightly" \(see: lifeboat schedule list\)$/);
	});

	it('a schedule removed and added again starts afresh; a damaged state file is moved aside and the run goes on', () => {
		const {env, dest, config} = setup();
		const command = ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--categories', 'agents', '--incremental'];
		expect(add(env, ['inc', '--cron', '0 3 * * *'], command).code).toBe(0);
		expect([runNow(env, 'inc').kind, runNow(env, 'inc').kind]).toEqual(['full', 'incremental']);
		expect(runCli(['schedule', 'remove', 'inc'], {env}).code).toBe(0);
		expect(add(env, ['inc', '--cron', '0 3 * * *'], command).code).toBe(0);
		// Not the old schedule's last run, nor its full backup: the new one's first run is a full one.
		expect((JSON.parse(runCli(['schedule', 'list', '--json'], {env}).stdout) as {schedules: Array<{lastRun: unknown}>}).schedules[0]!.lastRun).toBeNull();
		expect(runNow(env, 'inc').kind).toBe('full');
		const stateFile = path.join(config, 'schedules-state.json');
		fs.writeFileSync(stateFile, '{"version": 1, "sched');
		// A listing still lists the schedules (exit 0), says why their last runs are unknown, and leaves the file.
		const listed = runCli(['schedule', 'list'], {env});
		expect(listed.code).toBe(0);
		expect(listed.stdout).toMatch(/^inc {2}0 3 \* \* \* {2}next \S+\n {2}last: not known \(the state file is damaged\)\n/);
		expect(listed.stderr).toMatch(/^lifeboat: \S+schedules-state\.json is not a valid schedules file \(not JSON\): the last runs are not known; the daemon or the next run moves it aside\n$/);
		const listedJson = JSON.parse(runCli(['schedule', 'list', '--json'], {env}).stdout) as {ok: boolean; stateDamaged: string; schedules: Array<{lastRun: unknown}>};
		expect(listedJson).toMatchObject({ok: true, stateDamaged: expect.stringMatching(/not a valid schedules file \(not JSON\)/)});
		expect(listedJson.schedules[0]!.lastRun).toBeNull();
		expect(fs.readFileSync(stateFile, 'utf8')).toBe('{"version": 1, "sched');
		const result = runCli(['schedule', 'run-now', 'inc', '--json'], {env});
		expect(result.code, result.stderr).toBe(0);
		expect((JSON.parse(result.stdout) as RunRecordJson).kind).toBe('full');
		expect(result.stderr).toMatch(/^lifeboat: \S+schedules-state\.json is not a valid schedules file \(not JSON\): moved aside to \S+schedules-state\.json\.damaged-\S+; the schedules run on from no state \(a catch-up run each\)\n$/);
		const aside = fs.readdirSync(config).filter(name => name.startsWith('schedules-state.json.damaged-'));
		expect(aside).toHaveLength(1);
		expect(fs.readFileSync(path.join(config, aside[0]!), 'utf8')).toBe('{"version": 1, "sched');
		expect((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {schedules: Record<string, {lastRun: {ok: boolean}}>}).schedules['inc']!.lastRun.ok).toBe(true);
	});

	it('a state entry of the wrong shape is a damaged state file: listed as unknown, set aside by the next run; run errors print escaped', () => {
		const {env, dest, config} = setup();
		expect(add(env, ['n', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--categories', 'agents']).code).toBe(0);
		runNow(env, 'n');
		const stateFile = path.join(config, 'schedules-state.json');
		const good = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {version: 1; schedules: {n: Record<string, unknown> & {lastRun: Record<string, unknown>}}};
		const entry = good.schedules.n;
		const edits: Array<[unknown, string]> = [
			[{...entry, lastRun: {...entry.lastRun, pruned: {}}}, 'lastRun pruned is not {deleted, kept, freedBytes} or null'],
			[{...entry, lastRun: {...entry.lastRun, pruned: {deleted: 'x', kept: 1, freedBytes: 0}}}, 'lastRun pruned is not {deleted, kept, freedBytes} or null'],
			[{...entry, lastRun: {...entry.lastRun, backup: 'x.zip'}}, 'lastRun backup is not {path, size, sha256, kind} or null'],
			[{...entry, lastRun: {...entry.lastRun, ok: false, error: 'boom'}}, 'lastRun error is not {code, message} or null'],
			[{...entry, lastRun: {...entry.lastRun, ok: 'yes'}}, 'lastRun ok is not true or false'],
			[{...entry, lastRun: {...entry.lastRun, finishedAt: 'yesterday'}}, 'lastRun has no schedule, startedAt or finishedAt'],
			[{...entry, lastRun: []}, 'lastRun is not an object'],
			[{...entry, lastSlot: 'soon'}, 'lastSlot is not a date'],
			[{...entry, lastSlot: '1'}, 'lastSlot is not a date'],
			[{...entry, lastFullAt: 'May 5'}, 'lastFullAt is not a date'],
			[{...entry, lastSlot: '2026-02-30T03:00:00.000Z'}, 'lastSlot is not a date'],
			[{...entry, incrementalsSinceFull: -1}, 'incrementalsSinceFull is not a whole number ≥ 0'],
			[7, 'is not an object'],
		];
		for (const [edit, why] of edits) {
			fs.writeFileSync(stateFile, JSON.stringify({version: 1, schedules: {n: edit}}));
			const listed = runCli(['schedule', 'list'], {env});
			expect(listed.code, listed.stderr).toBe(0);
			expect(listed.stdout).toContain('  last: not known (the state file is damaged)\n');
			expect(listed.stderr).toBe(`lifeboat: ${stateFile} is not a valid schedules file (the entry of "n" ${why}): its schedule's last run is not known; the daemon or the next run sets it aside\n`);
			expect(JSON.parse(runCli(['schedule', 'list', '--json'], {env}).stdout)).toMatchObject({ok: true, stateDamaged: expect.stringContaining(why)});
		}
		// The next run sets it aside and starts from no state; an entry's name from the file is printed escaped.
		fs.writeFileSync(stateFile, JSON.stringify({version: 1, schedules: {'\u009B2J': 7}}));
		// (A listing does not say it: no schedule of that name is listed.)
		expect(runCli(['schedule', 'list'], {env}).stderr).toBe('');
		const result = runCli(['schedule', 'run-now', 'n', '--json'], {env});
		expect(result.code, result.stderr).toBe(0);
		expect(result.stderr).toMatch(/^lifeboat: \S+schedules-state\.json is not a valid schedules file \(the entry of "\\u\{9B\}2J" is not an object\): moved aside to /);
		// A failed run's message holds text from the gateway or a server: escapes print as \u{..}, not raw.
		const failed = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as typeof good;
		failed.schedules.n.lastRun = {...failed.schedules.n.lastRun, ok: false, backup: null, pruned: null, error: {code: 'exit-5', message: 'no such file \u001B]0;pwned\u0007 here\u202E'}};
		fs.writeFileSync(stateFile, JSON.stringify(failed));
		const listed = runCli(['schedule', 'list'], {env});
		expect(listed.code, listed.stderr).toBe(0);
		expect(listed.stdout).toMatch(/^ {2}last: FAILED \S+: no such file \\u\{1B\}\]0;pwned\\u\{7\} here\\u\{202E\}$/m);
		expect(listed.stdout).not.toMatch(/[\u001B\u0007\u202E]/);
	});

	it('one damaged entry hides and resets only its own schedule: the others keep their last runs and state', () => {
		const {env, dest, config} = setup();
		const command = ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--categories', 'agents', '--incremental'];
		for (const name of ['a', 'b']) expect(add(env, [name, '--cron', '0 3 * * *'], command).code).toBe(0);
		expect([runNow(env, 'a').kind, runNow(env, 'b').kind]).toEqual(['full', 'full']);
		const stateFile = path.join(config, 'schedules-state.json');
		const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {version: 1; schedules: Record<string, Record<string, unknown>>};
		state.schedules['b'] = {...state.schedules['b'], lastSlot: '1'};
		const damagedText = JSON.stringify(state);
		fs.writeFileSync(stateFile, damagedText);
		const listed = runCli(['schedule', 'list'], {env});
		expect(listed.code, listed.stderr).toBe(0);
		expect(listed.stdout).toMatch(/^a {2}0 3 \* \* \* {2}next \S+\n {2}last: ok \S+ \(full\)\n[^]*^b {2}0 3 \* \* \* {2}next \S+\n {2}last: not known \(the state file is damaged\)\n/m);
		expect(listed.stderr).toBe(`lifeboat: ${stateFile} is not a valid schedules file (the entry of "b" lastSlot is not a date): its schedule's last run is not known; the daemon or the next run sets it aside\n`);
		const json = JSON.parse(runCli(['schedule', 'list', '--json'], {env}).stdout) as {schedules: Array<{name: string; lastRun: {ok: boolean} | null; lastRunKnown: boolean}>};
		expect(json.schedules.map(row => [row.name, row.lastRun?.ok ?? null, row.lastRunKnown])).toEqual([
			['a', true, true],
			['b', null, false],
		]);
		// The next run copies the file aside and writes the sound entries back: a goes on incrementally, b starts afresh.
		const result = runCli(['schedule', 'run-now', 'a', '--json'], {env});
		expect(result.code, result.stderr).toBe(0);
		expect((JSON.parse(result.stdout) as RunRecordJson).kind).toBe('incremental');
		expect(result.stderr).toMatch(/^lifeboat: \S+schedules-state\.json is not a valid schedules file \(the entry of "b" lastSlot is not a date\): copied aside to \S+schedules-state\.json\.damaged-\S+; the state of "b" is dropped \(last run, catch-up mark, full-backup count: a next incremental is a full one\), the other schedules keep theirs\n$/);
		const aside = fs.readdirSync(config).filter(name => name.startsWith('schedules-state.json.damaged-'));
		expect(aside).toHaveLength(1);
		expect(fs.readFileSync(path.join(config, aside[0]!), 'utf8')).toBe(damagedText);
		expect(fs.statSync(path.join(config, aside[0]!)).mode & 0o777).toBe(0o600);
		expect(Object.keys((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as typeof state).schedules)).toEqual(['a']);
		expect(runNow(env, 'b').kind).toBe('full');
		expect(runCli(['schedule', 'list'], {env}).stderr).toBe('');
		// A damaged entry of a schedule no longer there is not said in a listing (nothing listed depends on it).
		const now = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as typeof state;
		now.schedules['gone'] = {lastSlot: '1'};
		fs.writeFileSync(stateFile, JSON.stringify(now));
		const quiet = runCli(['schedule', 'list', '--json'], {env});
		expect(quiet.stderr).toBe('');
		const rows = JSON.parse(quiet.stdout) as {schedules: Array<{name: string; lastRunKnown: boolean}>; stateDamaged?: string};
		expect([rows.schedules.map(row => [row.name, row.lastRunKnown]), rows.stateDamaged]).toEqual([[['a', true], ['b', true]], undefined]);
	});

	it('is refused when others may write it, or with an unknown key, or damaged (exit 2, for every command that reads it)', () => {
		const {env, file, config} = setup();
		expect(add(env, ['n', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway]).code).toBe(0);
		fs.chmodSync(file, 0o666);
		for (const command of [['schedule', 'list'], ['schedule', 'run-now', 'n'], ['schedule', 'daemon']]) {
			expectOneLineError(runCli(command, {env}), 2, /^lifeboat: Refusing .*schedules\.json: group or others may write it \(mode 666\), so anyone could change what runs; make it yours and chmod 600 it$/);
		}
		fs.chmodSync(file, 0o600);
		fs.chmodSync(config, 0o777);
		expectOneLineError(runCli(['schedule', 'list'], {env}), 2, /^lifeboat: Refusing .*config: group or others may write it \(mode 777\).*chmod 700 it$/);
		fs.chmodSync(config, 0o700);
		const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
		stored.schedules[0].passphrase = 'x';
		fs.writeFileSync(file, JSON.stringify(stored));
		expectOneLineError(runCli(['schedule', 'list'], {env}), 2, /^lifeboat: .*schedules\.json is not a valid schedules file \(n has an unknown key "passphrase"\); fix or remove it$/);
		// A webhook add would refuse (plain http across a network), its token never printed.
		delete stored.schedules[0].passphrase;
		for (const webhook of ['http://alerts.example.net/hooks/T0KEN-S3CRET', 'alerts.example.net/hooks/T0KEN-S3CRET']) {
			stored.schedules[0].webhook = webhook;
			fs.writeFileSync(file, JSON.stringify(stored));
			const listed = runCli(['schedule', 'list'], {env});
			expectOneLineError(listed, 2, /^lifeboat: .*schedules\.json is not a valid schedules file \(n\.webhook is not an https:\/\/ URL, or http:\/\/ to a loopback address, without a user name or password\); fix or remove it$/);
			expect(listed.stderr).not.toContain('T0KEN');
		}
		delete stored.schedules[0].webhook;
		// A cron expression or time zone add would refuse: it would never fire, and nothing would say so.
		for (const [edit, why] of [[{cron: '61 * * * *'}, /\(n: "61 \* \* \* \*" is not a cron expression \(Invalid value for minute: 61\)/], [{timezone: 'Mars/Olympus'}, /\(n: "Mars\/Olympus" is not a time zone/]] as const) {
			fs.writeFileSync(file, JSON.stringify({...stored, schedules: [{...stored.schedules[0], ...edit}]}));
			expectOneLineError(runCli(['schedule', 'list'], {env}), 2, why);
		}
		fs.writeFileSync(file, '{"version": 1, "schedules": [');
		expectOneLineError(runCli(['schedule', 'list'], {env}), 2, /is not a valid schedules file \(not JSON\)/);
	});
});

describe('schedule run-now', () => {
	it('refuses while a live process holds the lock (exit 7, nothing started); takes over the lock of a killed one', async () => {
		const {env, dest, config} = setup();
		expect(add(env, ['n', '--cron', '0 3 * * *', '--keep-last', '1'], ['backup', 'create', '--data-dir', gateway, '--dest', dest]).code).toBe(0);
		const holder = await liveProcess();
		const lock = path.join(config, 'schedule-locks', 'n.lock');
		fs.mkdirSync(path.dirname(lock), {recursive: true});
		fs.writeFileSync(lock, JSON.stringify({pid: holder.pid, since: '2026-01-01T00:00:00.000Z', what: 'daemon'}));
		expectOneLineError(runCli(['schedule', 'run-now', 'n'], {env}), 7, new RegExp(`^lifeboat: Schedule n is running already \\(pid ${holder.pid}, daemon, since 2026-01-01T00:00:00.000Z\\); nothing was started$`));
		expect(fs.existsSync(dest)).toBe(false);
		expect(JSON.parse(runCli(['schedule', 'list', '--json'], {env}).stdout).schedules[0].running).toEqual({pid: holder.pid, what: 'daemon', since: '2026-01-01T00:00:00.000Z'});
		await holder.kill();
		for (const run of [1, 2]) {
			expect(runNow(env, 'n')).toMatchObject({ok: true, schedule: 'n', trigger: 'run-now', kind: 'full', pruned: {kept: 1, deleted: run === 1 ? [] : [expect.any(String)]}});
		}
		expect(fs.readdirSync(dest)).toHaveLength(1);
		expect(fs.existsSync(lock)).toBe(false);
	});

	it('--incremental --full-every 2: full first, then incremental, then full again; the backups say so', () => {
		const {env, dest} = setup();
		expect(add(env, ['inc', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--incremental', '--full-every', '2']).code).toBe(0);
		const kinds = [1, 2, 3].map(() => {
			const record = runNow(env, 'inc');
			expect(record.backup.kind).toBe(record.kind);
			return record.kind;
		});
		expect(kinds).toEqual(['full', 'incremental', 'full']);
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json'], {env}).stdout);
		expect(listed.backups.map((backup: {backupKind?: string; kind?: string}) => backup.backupKind ?? backup.kind).sort()).toEqual(['full', 'full', 'incremental']);
	});

	it('an incremental whose base chain is broken (its full deleted) makes a full backup instead, and says why', () => {
		const {env, dest} = setup();
		expect(add(env, ['heal', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--incremental']).code).toBe(0);
		const run = () => runNow(env, 'heal');
		expect(run().kind).toBe('full');
		expect(run()).toMatchObject({kind: 'incremental', ok: true});
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json'], {env}).stdout) as {backups: Array<{fileName?: string; path: string; backupKind?: string; kind?: string}>};
		const full = listed.backups.find(backup => (backup.backupKind ?? backup.kind) === 'full')!;
		fs.rmSync(full.path, {recursive: true, force: true});
		const healed = run();
		expect(healed).toMatchObject({kind: 'full', ok: true, backup: {kind: 'full'}});
		expect(healed.fullInstead).toMatch(/^Broken backup chain: .*make a full backup \(without --incremental\)$/);
		expect(run()).toMatchObject({kind: 'incremental', ok: true});
	});

	it('an incremental with no earlier backup of its scope left (all removed by hand) makes a full backup instead, and says why', () => {
		const {env, dest} = setup();
		expect(add(env, ['gone', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--incremental']).code).toBe(0);
		const run = () => runNow(env, 'gone');
		expect(run().kind).toBe('full');
		for (const name of fs.readdirSync(dest)) fs.rmSync(path.join(dest, name), {recursive: true, force: true});
		const healed = run();
		expect(healed).toMatchObject({kind: 'full', ok: true, backup: {kind: 'full'}});
		expect(healed.fullInstead).toMatch(/^--since-last: no earlier backup of this scope \(every tenant, \d+ categories\) at .*; make a full backup first \(without --incremental\)$/);
		expect(run()).toMatchObject({kind: 'incremental', ok: true});
		// By hand, the same case is still usage's exit code (2), told apart in --json.
		const byHand = runCli(['backup', 'create', '--data-dir', gateway, '--dest', path.join(dest, 'elsewhere'), '--incremental', '--json'], {env});
		expect(byHand.code).toBe(2);
		expect(JSON.parse(byHand.stdout).error.code).toBe('no-base');
	});

	it('retention prunes only the schedule\'s own scope: whole-gateway backups at the same destination are left alone', () => {
		const {env, dest} = setup();
		const db = new Database(path.join(gateway, 'data', 'gateway.db'), {readonly: true});
		const slug = (db.prepare('SELECT slug FROM tenants LIMIT 1').get() as {slug: string}).slug;
		db.close();
		for (const name of ['manual-1', 'manual-2']) expect(runCli(['backup', 'create', '--data-dir', gateway, '--dest', dest, '--name', name], {env}).code).toBe(0);
		expect(add(env, ['tenant-only', '--cron', '0 3 * * *', '--keep-last', '1'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--tenant', slug]).code).toBe(0);
		for (const _run of [1, 2, 3]) expect(runCli(['schedule', 'run-now', 'tenant-only'], {env}).code).toBe(0);
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json'], {env}).stdout) as {backups: Array<{name?: string; tenant?: string | null; summary?: {name: string; tenant: string | null}}>};
		const names = listed.backups.map(backup => backup.summary?.name ?? backup.name);
		expect(names.filter(name => name?.startsWith('manual-')).sort()).toEqual(['manual-1', 'manual-2']);
		expect(names.filter(name => !name?.startsWith('manual-'))).toHaveLength(1);
	});

	it('a file prune cannot read at the destination blocks pruning: the run is ok and its record, run-now and list say so', () => {
		const {env, dest} = setup();
		expect(add(env, ['kept', '--cron', '0 3 * * *', '--keep-last', '1'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--categories', 'agents']).code).toBe(0);
		runNow(env, 'kept');
		fs.writeFileSync(path.join(dest, 'photos.zip'), 'not a backup');
		const second = runCli(['schedule', 'run-now', 'kept'], {env});
		expect(second.code, second.stderr).toBe(0);
		const blocked = /^1 backup the policy removes was kept: photos\.zip cannot be read at the destination, and prune deletes nothing while one is there; repair or move it$/;
		expect(second.stderr.trim().replace(/^lifeboat: pruning blocked: /, '')).toMatch(blocked);
		const third = runNow(env, 'kept') as RunRecordJson & {ok: boolean; pruned: {deleted: string[]; blocked?: string}};
		expect(third.ok).toBe(true);
		expect(third.pruned.deleted).toEqual([]);
		expect(third.pruned.blocked).toMatch(/^2 backups the policy removes were kept: photos\.zip cannot be read/);
		expect(runCli(['schedule', 'list'], {env}).stdout).toMatch(/; PRUNING BLOCKED: 2 backups the policy removes were kept: photos\.zip cannot be read/);
		// Moved away: the next run prunes, and says nothing of a block.
		fs.rmSync(path.join(dest, 'photos.zip'));
		const fourth = runNow(env, 'kept') as RunRecordJson & {pruned: {deleted: string[]; blocked?: string}};
		expect(fourth.pruned.deleted).toHaveLength(3);
		expect(fourth.pruned.blocked).toBeUndefined();
	});

	it('a run keeps the backup it wrote even when another of its scope is dated in the future (--keep-last 1)', () => {
		const {env, dest} = setup();
		expect(runCli(['backup', 'create', '--data-dir', gateway, '--dest', dest, '--format', 'dir', '--categories', 'tools', '--name', 'future'], {env}).code).toBe(0);
		const metadataFile = path.join(dest, 'future', 'metadata.json');
		const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as {createdAt: string};
		fs.writeFileSync(metadataFile, JSON.stringify({...metadata, createdAt: '2036-01-01T03:00:00.000Z'}));
		expect(add(env, ['n', '--cron', '0 3 * * *', '--keep-last', '1'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--format', 'dir', '--categories', 'tools']).code).toBe(0);
		const record = runNow(env, 'n') as RunRecordJson & {backup: {path: string}; pruned: {deleted: string[]; kept: number}};
		expect(record.ok).toBe(true);
		expect(record.pruned.deleted).toEqual([]);
		expect(fs.existsSync(path.join(record.backup.path, 'metadata.json'))).toBe(true);
		// The next run keeps its own and removes the one before it; the future-dated one stays (newest by date).
		const next = runNow(env, 'n') as RunRecordJson & {backup: {path: string}; pruned: {deleted: string[]}};
		expect(next.pruned.deleted).toEqual([path.basename(record.backup.path)]);
		expect(fs.readdirSync(dest).sort()).toEqual(['future', path.basename(next.backup.path)].sort());
	});

	it('a failed run exits with the backup\'s own code and is the last result', () => {
		const {env, root} = setup();
		const passphraseFile = path.join(root, 'pass');
		fs.writeFileSync(passphraseFile, 'correct horse battery staple 42\n', {mode: 0o600});
		const dest = path.join(root, 'file-not-folder');
		expect(add(env, ['n', '--cron', '0 3 * * *'], ['backup', 'create', '--data-dir', gateway, '--dest', dest, '--passphrase-file', passphraseFile]).code).toBe(0);
		fs.writeFileSync(passphraseFile, '');
		const result = runCli(['schedule', 'run-now', 'n'], {env});
		expectOneLineError(result, 2, /^lifeboat: schedule n failed: Passphrase file .*pass is empty$/);
		expect(JSON.parse(runCli(['schedule', 'list', '--json'], {env}).stdout).schedules[0].lastRun).toMatchObject({ok: false, error: {code: 'usage'}});
	});
});

describe('schedule install', () => {
	it('prints a systemd unit with absolute node and cli paths and the config dir, never a secret', () => {
		const {env, config} = setup();
		const secrets = {LIFEBOAT_BACKUP_PASSPHRASE: 'pp-secret-1', AWS_SECRET_ACCESS_KEY: 'aws-secret-2', AZURE_STORAGE_KEY: 'az-secret-3', AWS_PROFILE: 'backups'};
		const unit = runCli(['schedule', 'install', '--systemd'], {env: {...env, ...secrets}});
		expect(unit.code, unit.stderr).toBe(0);
		expect(unit.stdout).toContain(`ExecStart="${process.execPath}" "${CLI}" schedule daemon\n`);
		expect(unit.stdout).toContain(`Environment="LIFEBOAT_CONFIG_DIR=${config}"\n`);
		expect(unit.stdout).toContain('Environment="AWS_PROFILE=backups"\n');
		// SIGTERM to the daemon alone, which stops its backup with one signal; time for its grace.
		expect(unit.stdout).toContain('KillMode=mixed\nTimeoutStopSec=120\n');
		const longGrace = runCli(['schedule', 'install', '--systemd'], {env: {...env, LIFEBOAT_SCHEDULE_STOP_GRACE: '300'}});
		expect(longGrace.stdout).toContain('Environment="LIFEBOAT_SCHEDULE_STOP_GRACE=300"\n');
		expect(longGrace.stdout).toContain('TimeoutStopSec=360\n');
		for (const secret of ['pp-secret-1', 'aws-secret-2', 'az-secret-3']) expect(unit.stdout).not.toContain(secret);
		const cron = runCli(['schedule', 'install', '--cron'], {env: {...env, ...secrets}});
		expect(cron.code, cron.stderr).toBe(0);
		expect(cron.stdout).toMatch(new RegExp(`^@reboot LIFEBOAT_CONFIG_DIR=\\S+ AWS_PROFILE=backups ${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\S+cli\\.js schedule daemon >>\\S+schedule-daemon\\.log 2>&1$`, 'm'));
		for (const secret of ['pp-secret-1', 'aws-secret-2', 'az-secret-3']) expect(cron.stdout).not.toContain(secret);
		expectOneLineError(runCli(['schedule', 'install'], {env}), 2, /^lifeboat: Give one of --systemd \(a systemd user unit\) or --cron \(a crontab line\)$/);
		expectOneLineError(runCli(['schedule', 'install', '--systemd', '--cron'], {env}), 2, /Give one of/);
	});
});
