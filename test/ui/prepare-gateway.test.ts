import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, test} from 'vitest';
import {gatewayProblem, resolveTypedDir} from '../../source/ui/prepare-gateway.js';
import {demoGateway, tempDir} from './harness.js';

describe('gatewayProblem: why a folder cannot serve as the gateway, in one line', () => {
	test('every kind of folder that is not a gateway gets one line naming it; a gateway gets none', async () => {
		const root = tempDir();
		const make = (name: string, files: Record<string, string> = {}) => {
			const dir = path.join(root, name);
			fs.mkdirSync(dir, {recursive: true});
			for (const [file, content] of Object.entries(files)) {
				fs.mkdirSync(path.dirname(path.join(dir, file)), {recursive: true});
				fs.writeFileSync(path.join(dir, file), content);
			}
			return dir;
		};
		const aFile = path.join(root, 'a-file');
		fs.writeFileSync(aFile, 'not a folder');
		const cases: Array<[string, RegExp]> = [
			[path.join(root, 'missing'), /^Data directory .*missing does not exist$/],
			[make('empty'), /empty is not a gateway data directory \(no data\/gateway\.db\)$/],
			[make('text-db', {'data/gateway.db': 'hello, not sqlite'}), /damaged/],
			[make('odd name ✓ "q" -- x'), /odd name ✓ "q" -- x is not a gateway data directory/],
			[aFile, /a-file/],
		];
		for (const [dir, expected] of cases) {
			const problem = gatewayProblem(dir);
			expect(problem, dir).toMatch(expected);
			expect(problem, dir).not.toContain('\n');
			expect(problem, dir).not.toMatch(/internal error/);
			// The console's own way out follows on the line: no CLI hint inside the reason.
			expect(problem, dir).not.toMatch(/set --data-dir|demo init/);
		}
		const gateway = await demoGateway(3);
		expect(gatewayProblem(gateway.dataDir)).toBeUndefined();
	});

	test('checking a folder writes nothing into it', () => {
		const dir = tempDir();
		gatewayProblem(dir);
		expect(fs.readdirSync(dir)).toEqual([]);
	});
});

describe('resolveTypedDir: a path typed in the console', () => {
	test('~ is the home folder, relative paths are from the working folder, spaces around are dropped', () => {
		expect(resolveTypedDir('~')).toBe(os.homedir());
		expect(resolveTypedDir('  ~/gw ')).toBe(path.join(os.homedir(), 'gw'));
		expect(resolveTypedDir('gw/x')).toBe(path.resolve('gw/x'));
		expect(resolveTypedDir('/srv/gateway/')).toBe('/srv/gateway');
		expect(resolveTypedDir('~user/x')).toBe(path.resolve('~user/x'));
	});
});

describe('prepareGateway: where backups go', () => {
	test('a URL given as --dest stays a URL; a path is made absolute', async () => {
		const {prepareGateway} = await import('../../source/ui/prepare-gateway.js');
		const {dataDir} = await demoGateway();
		expect((await prepareGateway({dataDir, backupDir: 's3://lifeboat-b/gw1/'})).backupDir).toBe('s3://lifeboat-b/gw1/');
		expect((await prepareGateway({dataDir, backupDir: 'sftp://ops@host:2222/srv/b/'})).backupDir).toBe('sftp://ops@host:2222/srv/b/');
		expect((await prepareGateway({dataDir, backupDir: 'relative/backups'})).backupDir).toBe(path.resolve('relative/backups'));
	});
});
