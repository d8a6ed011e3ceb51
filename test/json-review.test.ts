/**
 * Findings of the adversarial review of the JSON bundle format, each a regression test.
 */
import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listDestination} from '../source/core/backup/list-backups.js';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {diffSides} from '../source/core/diff/diff-sides.js';
import {openS3Destination} from '../source/core/destinations/s3.js';
import {planPrune} from '../source/core/retention/prune-destination.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';
import {startS3Server, type S3Server} from './servers/s3-server.js';

let s3: S3Server;
let gateway: string;
beforeAll(async () => {
	[s3, gateway] = await Promise.all([startS3Server({buckets: ['jsonreview']}), demoGateway({tenants: 1, seed: 5})]);
}, 120_000);
afterAll(async () => s3?.stop());

describe('JSON bundle review findings', () => {
	it('a remote .json object that is not a bundle is not listed as a backup (as in a local folder), so it does not stop prune', async () => {
		const destination = openS3Destination({bucket: 'jsonreview', prefix: 'other-json/'}, {env: s3.env});
		await createBackup({dataDir: gateway, name: 'real', format: 'json', remote: {destination}});
		await destination.put('settings.json', Readable.from([Buffer.from('{"theme":"dark"}\n')]));
		await destination.put('report.json', Readable.from([Buffer.from('[1,2,3]\n')]));
		// A bundle damaged past its first bytes is still a backup that cannot be read: listed with its reason.
		await destination.put('damaged.json', Readable.from([Buffer.from('{"kind":"lifeboat-bundle","bundleVersion":1,"metadata":{"kind"')]));
		const rows = await listDestination(destination);
		expect(rows.map(row => [row.fileName, row.error === undefined])).toEqual(expect.arrayContaining([['real.json', true], ['damaged.json', false]]));
		expect(rows.map(row => row.fileName).sort()).toEqual(['damaged.json', 'real.json']);
		await destination.delete('damaged.json');
		const plan = await planPrune(destination, {last: 1});
		expect(plan.plan.decisions.map(decision => [decision.fileName, decision.warning])).toEqual([['real.json', undefined]]);
		await destination.close();
	}, 120_000);

	it('backup diff: a JSON bundle made without --include-files does not show every document file as added or removed; it says they were not compared', async () => {
		const dest = tempDir();
		const bundle = (await createBackup({dataDir: gateway, destDir: dest, name: 'no-files', format: 'json'})).path;
		const zip = (await createBackup({dataDir: gateway, destDir: dest, name: 'zip', format: 'zip'})).path;
		const withFiles = (await createBackup({dataDir: gateway, destDir: dest, name: 'with-files', format: 'json', includeFiles: true})).path;
		const side = (file: string) => ({kind: 'backup' as const, source: plainFileSource(file)});
		const note = /document files are not compared: .*no-files\.json is a JSON bundle made without --include-files/;
		for (const [a, b] of [[side(bundle), {kind: 'live' as const, dataDir: gateway}], [side(bundle), side(zip)], [side(zip), side(bundle)]] as const) {
			const result = await diffSides(a, b);
			const documents = result.categories.find(category => category.category === 'documents')!;
			expect([documents.added, documents.removed, documents.changed]).toEqual([0, 0, 0]);
			expect(documents.unchanged).toBeGreaterThan(0);
			expect(result.warnings).toEqual(expect.arrayContaining([expect.stringMatching(note)]));
		}
		// Both sides with their files: compared as before, and no note.
		const full = await diffSides(side(withFiles), side(zip));
		expect(full.totals.added + full.totals.removed + full.totals.changed).toBe(0);
		expect(full.warnings.filter(warning => note.test(warning))).toEqual([]);
	}, 120_000);

	it('hostile bytes in a bundle never reach the terminal raw: verify prints one line per problem, control characters escaped', async () => {
		const dest = tempDir();
		const bundle = fs.readFileSync((await createBackup({dataDir: gateway, destDir: dest, name: 'clean', format: 'json'})).path, 'latin1');
		const at = bundle.indexOf('"lines":[\n') + '"lines":[\n'.length;
		// A backslash then ESC (an invalid escape whose character the message quoted), and then a newline.
		for (const [name, bad] of [['esc', '"\\\u001b]0;owned\u0007",'], ['newline', '"\\\n",']] as const) {
			const file = path.join(dest, `${name}.json`);
			fs.writeFileSync(file, bundle.slice(0, at) + bad + bundle.slice(at), 'latin1');
			for (const args of [['backup', 'verify', file], ['backup', 'restore', '--in', file, '--data-dir', path.join(dest, 'target'), '--yes']]) {
				const result = runCli(args);
				expect(result.code, result.stderr).toBe(5);
				expect(result.stderr.trim().split('\n'), args[1]).toEqual([expect.stringMatching(/^lifeboat: .*invalid escape.* in line 1 of "/)]);
				// eslint-disable-next-line no-control-regex
				expect(result.stderr.trimEnd()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
			}
		}
		expect(fs.existsSync(path.join(dest, 'target'))).toBe(false);
	}, 120_000);

	it('an entry path with a C1 control or a bidi override, quoted by a refusal, reaches neither verify nor drill output raw', async () => {
		const dest = tempDir();
		const bundle = fs.readFileSync((await createBackup({dataDir: gateway, destDir: dest, name: 'clean', format: 'json'})).path);
		const at = bundle.indexOf('{"path":"');
		const bogus = Buffer.from('{"path":"agents/x/\u009b2J\u202e.md","size":1,"base64":"aGVsbG8="},');
		const file = path.join(dest, 'c1.json');
		fs.writeFileSync(file, Buffer.concat([bundle.subarray(0, at), bogus, bundle.subarray(at)]));
		const env = {XDG_CONFIG_HOME: path.join(dest, 'config'), LIFEBOAT_CONFIG_DIR: path.join(dest, 'config')};
		for (const args of [['backup', 'verify', file], ['drill', '--in', file, '--report', path.join(dest, 'report')]]) {
			const result = runCli(args, {env});
			expect(result.code, result.stderr).not.toBe(0);
			const output = result.stdout + result.stderr;
			expect(output, args[0]).toMatch(/agents\/x\/\\u\{9B\}2J\\u\{202E\}\.md" holds more than the 1 bytes its size says/);
			// eslint-disable-next-line no-control-regex
			expect(output).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
		}
	}, 120_000);
});
