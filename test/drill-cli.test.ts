/** `lifeboat drill` through the built CLI (dist/cli.js): exit codes, output, reports, history, scratch clean-up. */
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {DRILL_CHECKS, type DrillHistoryEntry, type DrillReport} from '../source/core/drill/index.js';
import {demoGateway, flipByteInLargestEntry} from './restore-support.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

type Setup = {live: string; backups: string; zip: string; encrypted: string; passphraseFile: string};

let setup: Setup;

/** A fresh config folder and temp folder per run: the history and the scratch folders are observable. */
function envFor(): {env: NodeJS.ProcessEnv; config: string; tmp: string} {
	const config = path.join(tempDir('lifeboat-drill-cfg-'), 'config');
	const tmp = tempDir('lifeboat-drill-tmp-');
	return {config, tmp, env: {LIFEBOAT_CONFIG_DIR: config, TMPDIR: tmp, LIFEBOAT_DATA_DIR: '', LIFEBOAT_BACKUP_DIR: path.join(tmp, 'no-backups-here')}};
}

beforeAll(async () => {
	const live = await demoGateway();
	const backups = tempDir('lifeboat-drill-backups-');
	const passphraseFile = path.join(tempDir(), 'passphrase');
	fs.writeFileSync(passphraseFile, 'drill passphrase that is long enough\n');
	const zip = path.join(backups, 'older.zip');
	expect(runCli(['backup', 'create', '--data-dir', live, '--out', zip, '--name', 'older']).code).toBe(0);
	const encrypted = path.join(backups, 'newer.tar.gz.enc');
	expect(runCli(['backup', 'create', '--data-dir', live, '--out', encrypted, '--format', 'tar.gz', '--name', 'newer', '--encrypt', '--passphrase-file', passphraseFile]).code).toBe(0);
	setup = {live, backups, zip, encrypted, passphraseFile};
}, 120_000);

describe('lifeboat drill', () => {
	it('a good backup: exit 0, every check passes, both reports written (0600), a history line, no scratch folder left', () => {
		const {env, config, tmp} = envFor();
		const report = path.join(tempDir(), 'drill-report');
		const result = runCli(['drill', '--in', setup.zip, '--report', report, '--json'], {env});
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const json = JSON.parse(result.stdout) as DrillReport & {reportFiles: {json: string; markdown: string}};
		expect(json.ok).toBe(true);
		expect(json.checks.map(check => check.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'skip']);
		expect(json.reportFiles).toEqual({json: `${report}.json`, markdown: `${report}.md`});
		const {reportFiles, ...written} = json;
		expect(JSON.parse(fs.readFileSync(reportFiles.json, 'utf8'))).toEqual(written);
		const markdown = fs.readFileSync(reportFiles.markdown, 'utf8');
		for (const check of DRILL_CHECKS) expect(markdown).toContain(`${check.id}: ${check.label}`);
		for (const file of Object.values(reportFiles)) expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		const history = fs.readFileSync(path.join(config, 'drills.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as DrillHistoryEntry);
		expect(history).toEqual([{at: json.finishedAt, ok: true, backup: {id: json.backup.id, name: json.backup.name, location: setup.zip}, rpoMs: json.rpo.backupAgeMs, rtoMs: json.rto.restoreMs, report: reportFiles}]);
		expect(fs.readdirSync(tmp).filter(name => name.startsWith('lifeboat-drill-'))).toEqual([]);
	}, 60_000);

	it('--latest --dest picks the newest backup (encrypted, with --passphrase-file); human output lists every check, RPO, RTO, reports and checklist', () => {
		const {env, config} = envFor();
		const result = runCli(['drill', '--latest', '--dest', setup.backups, '--passphrase-file', setup.passphraseFile, '--data-dir', setup.live], {env});
		expect(result.code).toBe(0);
		const lines = result.stdout.split('\n');
		expect(lines[0]).toBe(`DR drill of newer (${setup.encrypted}): PASSED`);
		for (const check of DRILL_CHECKS) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  ✓ ${check.id} +\\S`)));
		expect(lines).toContainEqual(expect.stringMatching(/^RPO: \S+.* \(backup made \d{4}-\d\d-\d\dT/));
		expect(lines).toContainEqual(expect.stringMatching(/^RTO: \S+ .*for .*\/s\)$/));
		expect(lines).toContain('Live store: the same entries as the backup in every category');
		expect(lines).toContain('  [ ] Rotate any API tokens users care about (the backup circulated)');
		const reportLine = lines.find(line => line.startsWith('Report: '))!;
		expect(reportLine.startsWith(`Report: ${path.join(config, 'drill-reports', 'drill-')}`)).toBe(true);
		expect(fs.existsSync(reportLine.slice('Report: '.length))).toBe(true);
		const history = runCli(['drill', '--history', '--json'], {env});
		expect(history.code).toBe(0);
		expect((JSON.parse(history.stdout) as {drills: DrillHistoryEntry[]}).drills.map(entry => [entry.ok, entry.backup.name])).toEqual([[true, 'newer']]);
		const human = runCli(['drill', '--history'], {env});
		expect(human.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d .* passed .* RPO .* RTO .* newer\n$/);
	}, 60_000);

	it('one flipped byte: exit 10, the JSON names verify, history records the failure, no scratch folder left', () => {
		const {env, config, tmp} = envFor();
		const flipped = path.join(tempDir(), 'flipped.zip');
		fs.writeFileSync(flipped, flipByteInLargestEntry(fs.readFileSync(setup.zip)));
		const result = runCli(['drill', flipped, '--json'], {env});
		expect(result.code).toBe(10);
		const json = JSON.parse(result.stdout) as DrillReport;
		expect(json).toMatchObject({ok: false, failed: 'verify'});
		expect(json.checks[0]!.detail).toMatch(/checksum mismatch|cannot be read|invalid|expands/);
		const human = runCli(['drill', flipped], {env});
		expect(human.code).toBe(10);
		expect(human.stdout.split('\n')[0]).toBe(`DR drill of older (${flipped}): FAILED at verify`);
		expect(human.stdout).toMatch(/^ {2}✗ verify {5}\S/m);
		expect(human.stdout).toMatch(/^ {2}- restore {4}the backup does not verify$/m);
		const history = fs.readFileSync(path.join(config, 'drills.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as DrillHistoryEntry);
		expect(history.map(entry => [entry.ok, entry.failed])).toEqual([[false, 'verify'], [false, 'verify']]);
		expect(fs.readdirSync(tmp).filter(name => name.startsWith('lifeboat-drill-'))).toEqual([]);
	}, 60_000);

	it('a restore interrupted midway: exit 130, and the scratch folder is removed', () => {
		const {env, tmp} = envFor();
		const result = runCli(['drill', '--in', setup.zip], {env: {...env, LIFEBOAT_TEST_HOOK: 'fail-after-rows:50'}});
		expectOneLineError(result, 130, /Test failure injected after 50 rows/);
		expect(fs.readdirSync(tmp).filter(name => name.startsWith('lifeboat-drill-'))).toEqual([]);
	}, 60_000);

	it('usage: no backup named, --in with --latest, a missing backup, --history with other flags, a live dir that is not a gateway', () => {
		const {env, tmp} = envFor();
		expectOneLineError(runCli(['drill'], {env}), 2, /Which backup\? Pass --in BACKUP, or --latest/);
		expectOneLineError(runCli(['drill', '--in', setup.zip, '--latest'], {env}), 2, /either --in BACKUP or --latest, not both/);
		expectOneLineError(runCli(['drill', '--in', path.join(tmp, 'nothing.zip')], {env}), 2, /No backup at/);
		expectOneLineError(runCli(['drill', '--latest'], {env}), 2, /No readable backup in/);
		expectOneLineError(runCli(['drill', '--history', '--in', setup.zip], {env}), 2, /--history lists past drills and takes only --json \(got --in\)/);
		expectOneLineError(runCli(['drill', '--in', setup.zip, '--data-dir', tmp], {env}), 3, /not a gateway data directory/);
		expectOneLineError(runCli(['drill', '--in', setup.zip, '--mode', 'replace'], {env}), 2, /drill does not take --mode/);
		const none = runCli(['drill', '--history'], {env});
		expect(none.code).toBe(0);
		expect(none.stdout).toMatch(/^No drills yet \(.*drills\.jsonl\)\n$/);
		expect(fs.readdirSync(tmp).filter(name => name.startsWith('lifeboat-drill-'))).toEqual([]);
	}, 60_000);
});
