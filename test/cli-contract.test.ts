import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {runCli, type CliResult, expectOneLineError} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {quarantinedWebhooks, query} from './restore-support.js';
import {checkUsage} from '../source/commands/check-usage.js';
import {COMMANDS} from '../source/commands/command-table.js';
import {LifeboatError} from '../source/core/errors.js';


let dataDir: string;
beforeAll(async () => {
	dataDir = path.join(tempDir(), 'gateway');
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 5});
});

describe('backup list on a fresh install', () => {
	it('a backup folder that does not exist yet is "no backups", exit 0, and nothing is created', () => {
		const home = tempDir();
		for (const dest of [path.join(home, 'lifeboat-backups'), path.join(home, 'a', 'b', 'c')]) {
			const viaFlag = runCli(['backup', 'list', '--dest', dest]);
			expect(viaFlag.stderr).toBe('');
			expect(viaFlag.code).toBe(0);
			expect(viaFlag.stdout.trim()).toBe(`No backups in ${dest}`);
			expect(fs.existsSync(dest)).toBe(false);
		}
		// The default folder (LIFEBOAT_BACKUP_DIR, else ~/lifeboat-backups) on a fresh install.
		const fresh = runCli(['backup', 'list'], {env: {LIFEBOAT_BACKUP_DIR: path.join(home, 'never-made')}});
		expect(fresh.code).toBe(0);
		expect(fresh.stdout.trim()).toBe(`No backups in ${path.join(home, 'never-made')}`);
		const noHome = runCli(['backup', 'list'], {env: {LIFEBOAT_BACKUP_DIR: '', HOME: home}});
		expect(noHome.code).toBe(0);
		expect(fs.readdirSync(home)).toEqual([]);
	});

	it('a backup folder that is a file is still a destination problem (exit 4)', () => {
		const file = path.join(tempDir(), 'a-file');
		fs.writeFileSync(file, 'x');
		expectOneLineError(runCli(['backup', 'list', '--dest', file]), 4, /Cannot read backup folder/);
		expectOneLineError(runCli(['backup', 'list', '--dest', path.join(file, 'sub')]), 4, /Cannot read backup folder/);
	});
});

describe('quarantine commands need a gateway', () => {
	const commands = (id: string) => [
		['quarantine', 'list'],
		['quarantine', 'list', id],
		['quarantine', 'show', id],
		['quarantine', 'show', id, 'webhooks:x'],
		['quarantine', 'accept', id],
		['quarantine', 'accept', id, 'webhooks:x', '--yes'],
		['quarantine', 'discard', id],
		['quarantine', 'discard', id, 'webhooks:x'],
	];

	it('a folder that is not a gateway (empty, missing, holding only a quarantine/ folder) is exit 3 for every command, and nothing is written', () => {
		const empty = tempDir();
		const quarantineOnly = tempDir();
		fs.mkdirSync(path.join(quarantineOnly, 'quarantine', 'r1'), {recursive: true});
		fs.writeFileSync(path.join(quarantineOnly, 'quarantine', 'r1', 'summary.json'), '{}');
		const missing = path.join(tempDir(), 'nope');
		for (const [dir, pattern] of [[empty, /is not a gateway data directory/], [quarantineOnly, /is not a gateway data directory/], [missing, /does not exist/]] as const) {
			for (const words of commands('r1')) {
				const human = runCli([...words, '--data-dir', dir]);
				expectOneLineError(human, 3, pattern);
				expect(human.stdout).toBe('');
				if (dir !== empty) continue;
				const json = runCli([...words, '--data-dir', dir, '--json']);
				expect(json.code).toBe(3);
				expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'not-a-gateway'}});
			}
		}
		expect(fs.readdirSync(empty)).toEqual([]);
		expect(fs.readdirSync(quarantineOnly)).toEqual(['quarantine']);
		expect(fs.existsSync(missing)).toBe(false);
	});

	it('a real gateway with no quarantine is still "Quarantine is empty." (exit 0)', () => {
		const result = runCli(['quarantine', 'list', '--data-dir', dataDir]);
		expect(result.code).toBe(0);
		expect(result.stdout.trim()).toBe('Quarantine is empty.');
		expect(JSON.parse(runCli(['quarantine', 'list', '--data-dir', dataDir, '--json']).stdout)).toEqual({ok: true, restores: []});
	});
});

describe('every --json output is one object with ok', () => {
	const parse = (result: CliResult) => {
		const value = JSON.parse(result.stdout) as unknown;
		expect(Array.isArray(value)).toBe(false);
		expect(typeof value).toBe('object');
		expect(typeof (value as {ok: unknown}).ok).toBe('boolean');
		return value as Record<string, unknown>;
	};

	it('backup list --json: {ok: true, backups: [...]}, also for an empty or missing folder', () => {
		const dest = tempDir();
		expect(parse(runCli(['backup', 'list', '--dest', dest, '--json']))).toEqual({ok: true, backups: []});
		expect(parse(runCli(['backup', 'list', '--dest', path.join(dest, 'not-yet'), '--json']))).toEqual({ok: true, backups: []});
		const created = parse(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--categories', 'tools', '--json']));
		const listed = parse(runCli(['backup', 'list', '--dest', dest, '--json'])) as {ok: boolean; backups: Array<{path: string; categories: string[]}>};
		expect(listed.ok).toBe(true);
		expect(listed.backups).toHaveLength(1);
		expect(listed.backups[0]).toMatchObject({path: created['path'], categories: ['tools']});
	});

	it('demo init, create, verify, list, restore --dry-run and quarantine list all answer an object with ok', () => {
		const dest = tempDir();
		const zip = path.join(dest, 'b.zip');
		const outputs = [
			runCli(['demo', 'init', '--dir', path.join(tempDir(), 'demo'), '--tenants', '1', '--json']),
			runCli(['backup', 'create', '--data-dir', dataDir, '--out', zip, '--categories', 'tools', '--json']),
			runCli(['backup', 'verify', zip, '--json']),
			runCli(['backup', 'list', '--dest', dest, '--json']),
			runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--dry-run', '--json']),
			runCli(['quarantine', 'list', '--data-dir', dataDir, '--json']),
		];
		for (const output of outputs) {
			expect(output.code).toBe(0);
			expect(parse(output).ok).toBe(true);
		}
	});
});

describe('each command takes only its own flags and arguments', () => {
	it('backup create --tenants globex (a demo init flag, typo of --tenant) is refused with a suggestion, and writes nothing', () => {
		const dest = tempDir();
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenants', 'globex']);
		expectOneLineError(result, 2, /backup create does not take --tenants \(did you mean --tenant\?/);
		expect(fs.readdirSync(dest)).toEqual([]);
		const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenants=globex', '--json']);
		expect(json.code).toBe(2);
		expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'usage', message: expect.stringContaining('did you mean --tenant?')}});
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('flags of other commands are refused by every command (exit 2, one line); near misses get "did you mean"', () => {
		const cases: Array<[string[], RegExp]> = [
			[['backup', 'list', '--data-dir', dataDir], /backup list does not take --data-dir/],
			[['backup', 'verify', 'x.zip', '--dest', 'y'], /backup verify does not take --dest/],
			[['backup', 'verify', 'x.zip', '--no-verify'], /backup verify does not take --verify/],
			[['demo', 'init', '--tenant', 'a'], /demo init does not take --tenant \(did you mean --tenants\?/],
			[['backup', 'restore', '--in', 'x.zip', '--dest', 'y'], /backup restore does not take --dest/],
			[['backup', 'restore', '--in', 'x.zip', '--into-tenants', 'y'], /Unknown flag --into-tenants \(did you mean --into-tenant\?/],
			[['backup', 'create', '--dry-run'], /backup create does not take --dry-run/],
			[['backup', 'create', '--passphrase-fil', 'p'], /did you mean --passphrase-file\?/],
			[['quarantine', 'list', '--dest', 'y'], /quarantine list does not take --dest/],
			[['quarantine', 'show', 'r', '--yes'], /quarantine show does not take --yes/],
			[['quarantine', 'discard', 'r', '--force'], /quarantine discard does not take --force/],
		];
		for (const [args, pattern] of cases) expectOneLineError(runCli(args), 2, pattern);
	});

	it('extra positional arguments are refused (exit 2, one line) before anything runs', () => {
		const dest = tempDir();
		const cases: Array<[string[], RegExp]> = [
			[['backup', 'verify', 'a.zip', 'extra'], /backup verify takes at most 1 argument \(got 2: a\.zip extra; see lifeboat backup verify --help\)$/],
			[['backup', 'create', 'extra', '--data-dir', dataDir, '--dest', dest], /backup create takes no arguments \(got 1: extra;/],
			[['backup', 'list', dest, 'extra'], /backup list takes at most 1 argument/],
			[['backup', 'restore', 'a.zip', 'b.zip', '--data-dir', dataDir], /backup restore takes at most 1 argument/],
			[['demo', 'init', 'somewhere'], /demo init takes no arguments/],
			[['quarantine', 'list', 'r1', 'r2', '--data-dir', dataDir], /quarantine list takes at most 1 argument/],
			[['quarantine', 'show', 'r1', 'e1', 'e2', '--data-dir', dataDir], /quarantine show takes at most 2 arguments/],
		];
		for (const [args, pattern] of cases) expectOneLineError(runCli(args), 2, pattern);
		expect(fs.readdirSync(dest)).toEqual([]);
		const json = runCli(['backup', 'verify', 'a.zip', 'extra', '--json']);
		expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'usage'}});
	});

	it('every command × every flag: its own are accepted (also as --x=v and --no-x), all others refused; one argument too many is refused', () => {
		const dashed = (name: string) => name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);
		const all = [...new Set(COMMANDS.flatMap(command => command.flags))];
		const refusal = (run: () => void) => {
			try {
				run();
			} catch (error) {
				return error instanceof LifeboatError && error.code === 'usage' ? error.message : `not a usage error: ${String(error)}`;
			}
			return undefined;
		};
		for (const command of COMMANDS) {
			for (const flag of all) {
				const own = (command.flags as readonly string[]).includes(flag);
				for (const argv of [[`--${dashed(flag)}`, 'v'], [`--${dashed(flag)}=v`], [`--no-${dashed(flag)}`]]) {
					const message = refusal(() => checkUsage(command, argv, []));
					if (own) expect(message).toBeUndefined();
					else expect(message).toMatch(new RegExp(`^${command.words.join(' ')} does not take --${dashed(flag)} \\(`));
				}
			}
			expect(refusal(() => checkUsage(command, ['--help', '--version'], []))).toBeUndefined();
			if (Number.isFinite(command.maxArgs)) {
				const args = Array.from({length: command.maxArgs + 1}, (_, index) => `a${index}`);
				expect(refusal(() => checkUsage(command, args, args))).toMatch(/takes (no arguments|at most \d+ arguments?) \(got /);
				expect(refusal(() => checkUsage(command, args.slice(1), args.slice(1)))).toBeUndefined();
			}
		}
	});

	it('a flag that takes a value, given last or followed by another flag, is refused: --dest --json, --name --json', () => {
		const dest = tempDir();
		const cases: Array<[string[], string]> = [
			[['backup', 'create', '--data-dir', dataDir, '--dest', '--json'], '--dest'],
			[['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', '--json'], '--name'],
			[['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--categories'], '--categories'],
			[['backup', 'restore', 'a.zip', '--data-dir', '--dry-run'], '--data-dir'],
			[['demo', 'init', '--dir', dest, '--seed', '--json'], '--seed'],
			[['backup', 'create', '--data-dir', dataDir, '--dest', '-x'], '--dest'],
		];
		for (const [args, flag] of cases) expectOneLineError(runCli(args), 2, new RegExp(`^lifeboat: ${flag} needs a value \\(${flag} VALUE, or ${flag}=VALUE for one starting with -;`));
		expect(fs.readdirSync(dest)).toEqual([]);
		const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', '--json']);
		expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'usage', message: expect.stringMatching(/^--dest needs a value/)}});
		// A value starting with - is given with =; after -- nothing is a flag.
		const odd = path.join(dest, '-odd');
		const made = runCli(['backup', 'create', '--data-dir', dataDir, `--dest=${odd}`, '--categories', 'tools', '--name', 'n']);
		expect(made.code).toBe(0);
		expect(fs.readdirSync(odd)).toEqual(['n.zip']);
	});

	it('the flags a command documents are accepted', () => {
		const dest = tempDir();
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'dir', '--categories', 'tools', '--name', 'n', '--no-verify', '--force', '--json']);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		expect(runCli(['backup', 'list', dest, '--json']).code).toBe(0);
	});
});

describe('version, -h and groups without a command', () => {
	it('-v and --version print the version and exit 0', async () => {
		const {TOOL_VERSION} = await import('../source/core/version.js');
		for (const flag of ['-v', '--version']) {
			const result = runCli([flag]);
			expect(result.code).toBe(0);
			expect(result.stdout).toBe(`${TOOL_VERSION}\n`);
			expect(result.stderr).toBe('');
		}
	});

	it('-h works like --help, at the top and for a command', () => {
		expect(runCli(['-h'])).toEqual(runCli(['--help']));
		const command = runCli(['backup', 'create', '-h']);
		expect(command.code).toBe(0);
		expect(command).toEqual(runCli(['backup', 'create', '--help']));
		expect(command.stdout).toContain('lifeboat backup create');
	});

	it('a group with --help lists its commands (exit 0); without a command it is a one-line usage error naming them (exit 2)', () => {
		for (const [group, commands] of [['backup', ['create', 'verify', 'list', 'restore', 'diff', 'download', 'delete', 'prune']], ['destination', ['add', 'list', 'remove', 'test']], ['quarantine', ['list', 'show', 'accept', 'discard']], ['demo', ['init']]] as const) {
			for (const flag of ['--help', '-h']) {
				const help = runCli([group, flag]);
				expect(help.code).toBe(0);
				for (const name of commands) expect(help.stdout).toContain(`lifeboat ${group} ${name}`);
			}
			const bare = runCli([group]);
			expectOneLineError(bare, 2, new RegExp(`${group} needs a command: ${commands.join(', ')} \\(see lifeboat ${group} --help\\)`));
			expect(bare.stdout).toBe('');
			expect(JSON.parse(runCli([group, '--json']).stdout)).toMatchObject({ok: false, error: {code: 'usage'}});
		}
	});
});

describe('quarantine accept of more than one entry needs --yes', () => {
	it('without --yes (no terminal): exit 2, one line saying to pass --yes, nothing applied; with --yes all are applied', () => {
		const {live, restoreId, ids} = quarantinedWebhooks(dataDir, 3);
		const names = () => query<{name: string}>(live, `SELECT name FROM webhooks WHERE id IN (${ids.map(() => '?').join(',')})`, ...ids).map(row => row.name);
		for (const args of [[restoreId], [restoreId, `webhooks:${ids[0]}`, `webhooks:${ids[1]}`]]) {
			expectOneLineError(runCli(['quarantine', 'accept', ...args, '--data-dir', live]), 2, /pass --yes/);
			const json = runCli(['quarantine', 'accept', ...args, '--data-dir', live, '--json']);
			expect(json.code).toBe(2);
			expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'usage', message: expect.stringContaining('--yes')}});
			expect(names()).toEqual(['renamed live', 'renamed live', 'renamed live']);
		}
		// One entry is one decision the operator named: no --yes needed.
		const one = runCli(['quarantine', 'accept', restoreId, `webhooks:${ids[2]}`, '--data-dir', live, '--json']);
		expect(JSON.parse(one.stdout)).toEqual({ok: true, restoreId, accepted: 1, remaining: 2});
		const all = runCli(['quarantine', 'accept', restoreId, '--data-dir', live, '--yes', '--json']);
		expect(JSON.parse(all.stdout)).toEqual({ok: true, restoreId, accepted: 2, remaining: 0});
		expect(names()).not.toContain('renamed live');
	});

	it('a restore with a single quarantined entry is accepted without --yes', () => {
		const {live, restoreId} = quarantinedWebhooks(dataDir, 1);
		expect(JSON.parse(runCli(['quarantine', 'accept', restoreId, '--data-dir', live, '--json']).stdout)).toEqual({ok: true, restoreId, accepted: 1, remaining: 0});
	});
});
