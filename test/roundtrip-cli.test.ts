/**
 * Issue 8 through the real binary: the odd-but-legal gateways the issue names (an id outside the
 * safe pattern, text in an INTEGER column, a BLOB, `tar.gz`, a 1,024+ character agent file path,
 * a backslash or newline in a file name, a day with `/` or a newline) must each give exit 0 on
 * `backup create --verify`, exit 0 on `backup restore` into an empty data dir with every row and
 * file equal, and exit 0 on a second `--mode replace` restore that leaves everything as it is.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {ISSUE_EXAMPLES, materialise, readTables} from './helpers/legal-gateway.js';
import {expectedTables, expectSameStore, filesToRestore, freshStore} from './helpers/round-trip.js';
import {runCli, type CliResult} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

const FORMATS = ['zip', 'tar.gz', 'dir'] as const;

function expectExit0(result: CliResult, what: string): void {
	expect(result.code, `${what} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`).toBe(0);
}

describe('CLI round trip of the odd-but-legal gateways of issue 8', () => {
	for (const [index, example] of ISSUE_EXAMPLES.entries()) {
		const format = FORMATS[index % FORMATS.length]!;
		it(`${example.name} (${format}): create --verify, restore into an empty data dir, restore again with replace: exit 0, data equal`, () => {
			const work = tempDir('lifeboat-issue8-cli-');
			const gateway = materialise(example.model, path.join(work, 'source'));
			const out = path.join(work, format === 'dir' ? 'backup' : `backup.${format}`);
			expectExit0(runCli(['backup', 'create', '--data-dir', gateway.dataDir, '--out', out, '--format', format, '--verify', '--json']), 'backup create --verify');

			const target = freshStore(path.join(work, 'restored'));
			const keyFile = path.join(gateway.dataDir, 'keys', 'backup.key');
			const keyArgs = fs.existsSync(keyFile) ? ['--key-file', keyFile] : [];
			expectExit0(runCli(['backup', 'restore', '--in', out, '--data-dir', target, ...keyArgs, '--json']), 'backup restore (additive, empty data dir)');
			const expected = expectedTables(readTables(gateway.dataDir));
			const files = filesToRestore(gateway);
			expectSameStore(target, expected, files, gateway.dataDir, 'after restore into an empty data dir');

			expectExit0(runCli(['backup', 'restore', '--in', out, '--data-dir', target, '--mode', 'replace', '--yes', ...keyArgs, '--json']), 'backup restore --mode replace (over its own result)');
			expectSameStore(target, expected, files, gateway.dataDir, 'after a second restore with --mode replace');
		});
	}
});
