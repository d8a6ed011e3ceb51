/**
 * The default drill report name is one rule in core (defaultDrillReportFile): `lifeboat drill`
 * without --report and the console's DR drill both write there.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {defaultDrillReportFile, drillReportDir, type DrillReport} from '../source/core/drill/index.js';
import {DEFAULT_DRILL_ENGINE} from '../source/ui/drill-engine.js';
import {demoGateway} from './restore-support.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

const NAME = /^drill-\d{8}-\d{6}(-[\w.-]{1,80})?\.json$/;

describe('defaultDrillReportFile', () => {
	it('any backup name: a file directly in drill-reports/ of the config folder, stamped with the start time, the name file-safe and at most 80 characters', () => {
		const config = path.join(tempDir('lifeboat-drill-name-'), 'config');
		const env = {LIFEBOAT_CONFIG_DIR: config};
		const times = fc.date({min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true});
		const names = fc.oneof(fc.string({unit: 'grapheme', maxLength: 200}), fc.constantFrom('', '..', '../../etc/passwd', 'a/b\\c', 'nightly 2026-01-05', 'x'.repeat(300), '\u0000\n\t'));
		fc.assert(
			fc.property(times, names, (time, name) => {
				const startedAt = time.toISOString();
				const file = defaultDrillReportFile(env, {startedAt, backup: {name} as DrillReport['backup']});
				expect(path.dirname(file)).toBe(path.join(config, 'drill-reports'));
				expect(path.dirname(file)).toBe(drillReportDir(env));
				const base = path.basename(file);
				expect(base).toMatch(NAME);
				expect(base.startsWith(`drill-${startedAt.slice(0, 10).replaceAll('-', '')}-${startedAt.slice(11, 19).replaceAll(':', '')}`)).toBe(true);
			}),
		);
		expect(path.basename(defaultDrillReportFile(env, {startedAt: '2026-01-05T09:08:07.123Z', backup: {name: 'nightly 05/01'} as DrillReport['backup']}))).toBe('drill-20260105-090807-nightly_05_01.json');
	});

	it('the CLI (no --report) and the console write the same drill to the same name', async () => {
		const live = await demoGateway();
		const backup = path.join(tempDir('lifeboat-drill-name-'), 'nightly run.zip');
		expect(runCli(['backup', 'create', '--data-dir', live, '--out', backup, '--name', 'nightly run']).code).toBe(0);
		const cliEnv = {LIFEBOAT_CONFIG_DIR: path.join(tempDir('lifeboat-drill-cfg-'), 'config'), LIFEBOAT_DATA_DIR: ''};
		const result = runCli(['drill', '--in', backup, '--json'], {env: cliEnv});
		expect(result.code).toBe(0);
		const report = JSON.parse(result.stdout) as DrillReport & {reportFiles: {json: string; markdown: string}};
		const expected = defaultDrillReportFile(cliEnv, report);
		expect(report.reportFiles.json).toBe(expected);
		expect(path.basename(expected)).toMatch(/^drill-\d{8}-\d{6}-nightly_run\.json$/);
		expect(fs.existsSync(report.reportFiles.markdown)).toBe(true);

		// The console's engine, given that report, names its files by the same rule in its own config folder.
		const {reportFiles, ...drilled} = report;
		const consoleEnv = {LIFEBOAT_CONFIG_DIR: path.join(tempDir('lifeboat-drill-cfg-'), 'config')};
		const written = await DEFAULT_DRILL_ENGINE.writeDrillReports(drilled, consoleEnv);
		expect(written.json).toBe(defaultDrillReportFile(consoleEnv, report));
		expect(path.basename(written.json)).toBe(path.basename(reportFiles.json));
		expect(path.basename(written.markdown)).toBe(path.basename(reportFiles.markdown));
		expect(fs.existsSync(written.json)).toBe(true);
	}, 60_000);
});
