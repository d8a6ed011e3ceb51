import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {formatFromPath} from '../source/core/archive/archive-format.js';
import {sniffHead} from '../source/core/archive/archive-reader.js';
import {fileBlob} from '../source/core/archive/ranged-blob.js';
import {isLifeboatBackup, looksLikeLifeboatBackup} from '../source/core/backup/backup-sniff.js';
import {readBackupSummary} from '../source/core/backup/read-summary.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {CLI, expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway, freshGateway, storeDigest} from './restore-support.js';

const MiB = 1024 * 1024;

/** Rows and files after a restore, less the audit log (each restore records itself there). */
function restoredDigest(dataDir: string): ReturnType<typeof storeDigest> {
	const digest = storeDigest(dataDir);
	delete digest.tables['audit_log'];
	return digest;
}

/** Writes `bytes` as a bundle file and returns its path. */
function bundleFile(name: string, bytes: Buffer | string): string {
	const file = path.join(tempDir(), name);
	fs.writeFileSync(file, bytes);
	return file;
}

describe('JSON bundle backups (--format json)', () => {
	let dataDir: string;
	let backup: string;
	let text: string;
	let passphraseFile: string;
	/** What a restore of the same gateway's zip holds. */
	let zipRestored: ReturnType<typeof restoredDigest>;
	beforeAll(async () => {
		dataDir = await demoGateway({tenants: 2, seed: 31});
		backup = (await createBackup({dataDir, destDir: tempDir(), name: 'bundle', format: 'json', includeFiles: true})).path;
		text = fs.readFileSync(backup, 'utf8');
		passphraseFile = path.join(tempDir(), 'passphrase');
		fs.writeFileSync(passphraseFile, 'a json bundle passphrase\n');
		const zip = (await createBackup({dataDir, destDir: tempDir(), name: 'zip', format: 'zip'})).path;
		const target = freshGateway();
		expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', target, '--yes']).code).toBe(0);
		zipRestored = restoredDigest(target);
	});

	it('is one JSON document named .json, 0600, sniffed by its first byte and recognised as a Lifeboat backup', () => {
		expect(path.basename(backup)).toBe('bundle.json');
		expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
		expect(formatFromPath(backup)).toBe('json');
		expect(sniffHead(fs.readFileSync(backup).subarray(0, 16), 'renamed.bin')).toBe('json');
		expect(isLifeboatBackup(backup)).toBe(true);
		const value = JSON.parse(text) as {kind: string; bundleVersion: number; metadata: {format: string}; entries: Array<{path: string; size: number; lines?: unknown[]; base64?: string}>; manifest: {files: unknown[]}};
		expect(Object.keys(value)).toEqual(['kind', 'bundleVersion', 'metadata', 'entries', 'manifest']);
		expect([value.kind, value.bundleVersion, value.metadata.format]).toEqual(['lifeboat-bundle', 1, 'json']);
		expect(value.manifest.files).toHaveLength(value.entries.length + 1);
		// Tables are readable JSON lines; binary files are base64.
		const messages = value.entries.find(entry => entry.path === 'chats/messages.jsonl')!;
		expect(Array.isArray(messages.lines)).toBe(true);
		expect(messages.lines!.length).toBeGreaterThan(10);
		expect(value.entries.some(entry => entry.base64 !== undefined && entry.path.startsWith('documents/'))).toBe(true);
	});

	it('a listing reads the summary from the first bytes only, as for a remote blob; a cut bundle is refused in one line', async () => {
		const read = await readBackupSummary(await fileBlob(backup));
		expect([read.format, read.encrypted, read.summary.name, read.summary.format]).toEqual(['json', false, 'bundle', 'json']);
		expect(looksLikeLifeboatBackup(fs.readFileSync(backup).subarray(0, 4096))).toBe(true);
		expect(looksLikeLifeboatBackup(Buffer.from('{"kind":"other"}'))).toBe(false);
		const cut = bundleFile('cut.json', text.slice(0, 1500));
		await expect(readBackupSummary(await fileBlob(cut))).rejects.toThrow(/cut\.json: metadata\.json is cut short or too large/);
	});

	it('round trip: create --verify, dry run, then a restore into a fresh gateway holds what a zip restore does', () => {
		const dest = tempDir();
		const created = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'json', '--include-files', '--verify', '--json']);
		expect(created.code, created.stderr).toBe(0);
		const file = (JSON.parse(created.stdout) as {path: string}).path;
		expect(path.basename(file)).toMatch(/^lifeboat-backup-\d{8}-\d{6}\.json$/);
		const target = freshGateway();
		const before = storeDigest(target);
		const dry = runCli(['backup', 'restore', '--in', file, '--data-dir', target, '--dry-run']);
		expect(dry.code, dry.stderr).toBe(0);
		expect(dry.stdout).toMatch(/Dry run: nothing was written/);
		expect(storeDigest(target)).toEqual(before);
		const restored = runCli(['backup', 'restore', '--in', file, '--data-dir', target, '--yes']);
		expect(restored.code, restored.stderr).toBe(0);
		expect(restoredDigest(target)).toEqual(zipRestored);
	});

	it('encrypted bundle: .json.enc, listed as json, verifies and restores with the passphrase, refused without', () => {
		const dest = tempDir();
		const created = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'enc', '--format', 'json', '--include-files', '--passphrase-file', passphraseFile]);
		expect(created.code, created.stderr).toBe(0);
		const file = path.join(dest, 'enc.json.enc');
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		fs.copyFileSync(backup, path.join(dest, 'plain.json'));
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json']).stdout) as {backups: Array<{format: string; encrypted?: boolean; name: string}>};
		expect(listed.backups.map(entry => [entry.format, Boolean(entry.encrypted)]).sort()).toEqual([['json', false], ['json', true]]);
		expect(runCli(['backup', 'verify', file, '--passphrase-file', passphraseFile]).code).toBe(0);
		expect(runCli(['backup', 'verify', file]).code).not.toBe(0);
		const target = freshGateway();
		const restored = runCli(['backup', 'restore', '--in', file, '--data-dir', target, '--yes', '--passphrase-file', passphraseFile]);
		expect(restored.code, restored.stderr).toBe(0);
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'encz', '--format', 'zip', '--passphrase-file', passphraseFile]).code).toBe(0);
		const zipTarget = freshGateway();
		expect(runCli(['backup', 'restore', '--in', path.join(dest, 'encz.zip.enc'), '--data-dir', zipTarget, '--yes', '--passphrase-file', passphraseFile]).code).toBe(0);
		expect(restoredDigest(target)).toEqual(restoredDigest(zipTarget));
	});

	it('without --include-files: document rows and texts but no document files; verifies; restore says so and a replace leaves live document files alone', () => {
		const dest = tempDir();
		const created = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'nofiles', '--format', 'json', '--verify', '--json']);
		expect(created.code, created.stderr).toBe(0);
		const result = JSON.parse(created.stdout) as {verify: {ok: boolean}; metadata: {warnings: string[]; omittedDocumentFiles?: {files: number; bytes: number}}};
		expect(result.verify.ok).toBe(true);
		expect(result.metadata.omittedDocumentFiles!.files).toBeGreaterThan(0);
		expect(result.metadata.warnings.join('\n')).toMatch(/document files were not included in this JSON bundle \(\d+ files, \d+ bytes; the document rows and texts are\): add --include-files/);
		const file = path.join(dest, 'nofiles.json');
		const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as {entries: Array<{path: string}>};
		expect(bundle.entries.some(entry => entry.path.startsWith('documents/files/'))).toBe(false);
		expect(bundle.entries.some(entry => entry.path === 'documents/index.jsonl')).toBe(true);
		// A fresh gateway gets the rows without files, and is told.
		const target = freshGateway();
		const restored = runCli(['backup', 'restore', '--in', file, '--data-dir', target, '--yes']);
		expect(restored.code, restored.stderr).toBe(0);
		expect(restored.stdout + restored.stderr).toMatch(/document files were not included in this JSON bundle/);
		const digest = restoredDigest(target);
		expect(digest.tables['documents']).toEqual(zipRestored.tables['documents']);
		expect(Object.keys(digest.files).filter(name => name.startsWith('documents/files/'))).toEqual([]);
		// Replace over the source's copy: its document files are still there, byte for byte.
		const copy = freshGateway();
		fs.rmSync(copy, {recursive: true});
		fs.cpSync(dataDir, copy, {recursive: true});
		const liveFiles = Object.fromEntries(Object.entries(storeDigest(copy).files).filter(([name]) => name.startsWith('documents/files/')));
		expect(Object.keys(liveFiles).length).toBeGreaterThan(0);
		const replaced = runCli(['backup', 'restore', '--in', file, '--data-dir', copy, '--mode', 'replace', '--yes']);
		expect(replaced.code, replaced.stderr).toBe(0);
		expect(Object.fromEntries(Object.entries(storeDigest(copy).files).filter(([name]) => name.startsWith('documents/files/')))).toEqual(liveFiles);
		// An incremental bundle without the files is refused up front.
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'json', '--incremental']), 2, /An incremental JSON bundle must carry the document files: add --include-files/);
	});

	it('verify finds a changed byte inside a line and inside base64 (valid JSON both times), exit 5', () => {
		const line = text.indexOf('"lines":[\n') + 12;
		const base64 = text.indexOf('"base64":"') + 20;
		for (const [at, name] of [[line, 'line'], [base64, 'base64']] as const) {
			const bytes = Buffer.from(text);
			const original = bytes[at]!;
			bytes[at] = original === 0x41 ? 0x42 : /[A-Za-z0-9]/.test(String.fromCharCode(original)) ? 0x41 : 0x5a;
			const file = bundleFile(`flipped-${name}.json`, bytes);
			expect(() => JSON.parse(bytes.toString('utf8')), name).not.toThrow();
			const result = runCli(['backup', 'verify', file]);
			expect(result.code, `${name}: ${result.stdout}${result.stderr}`).toBe(5);
			expect(`${result.stdout}${result.stderr}`).toMatch(/SHA-256|sha256|checksum|does not match/i);
		}
	});

	/** Hostile bundles: each refused by verify and restore with one line and exit 5, the target unchanged. */
	const hostile = (): Array<[string, Buffer | string, RegExp]> => {
		const firstLines = text.indexOf('"lines":[\n') + '"lines":[\n'.length;
		const entryStart = text.indexOf('{"path":');
		const entryEnd = text.indexOf(']}', entryStart) + 2;
		const entry = text.slice(entryStart, entryEnd);
		const base64 = text.indexOf('"base64":"') + '"base64":"'.length;
		const head = text.slice(0, entryStart);
		return [
			['truncated-early.json', text.slice(0, 40), /is truncated \(JSON bundle: it ends inside/],
			['truncated-late.json', text.slice(0, Math.floor(text.length * 0.8)), /is truncated \(JSON bundle: it ends/],
			['truncated-end.json', text.slice(0, text.length - 3), /is truncated/],
			['trailing.json', `${text}{}`, /trailing data after the bundle's closing '}'/],
			['deep.json', text.slice(0, firstLines) + '['.repeat(1000) + ']'.repeat(1000) + ',\n' + text.slice(firstLines), /nested deeper than 64 levels/],
			['duplicate.json', text.slice(0, entryEnd) + ',\n' + entry + text.slice(entryEnd), /appears twice/],
			['escape.json', text.replace('{"path":"', '{"path":"../'), /Unsafe entry "\.\.\/.*path escapes the archive/],
			['absolute.json', text.replace('{"path":"', '{"path":"/etc/'), /Unsafe entry.*absolute path/],
			['bad-base64.json', text.slice(0, base64) + '!' + text.slice(base64 + 1), /base64 of .* holds '!', not a base64 character/],
			['escaped-base64.json', text.slice(0, base64) + '\\/' + text.slice(base64 + 2), /base64 of .* holds an escape/],
			['bad-utf8.json', Buffer.concat([Buffer.from(text.slice(0, firstLines + 2)), Buffer.from([0xff]), Buffer.from(text.slice(firstLines + 3))]), /invalid UTF-8/],
			['array.json', `[${text}]`, /is not a Lifeboat backup|top level is not a JSON object/],
			['other-kind.json', text.replace('"lifeboat-bundle"', '"something-else"'), /is not a Lifeboat backup \(a JSON file that does not begin like a Lifeboat bundle(: its kind is "something-else", not "lifeboat-bundle")?/],
			['config.json', '{"Logging":{"Level":"Info"}}\n', /is not a Lifeboat backup \(a JSON file that does not begin like a Lifeboat bundle/],
			['huge-metadata.json', text.replace('"metadata":{', `"metadata":{"padding":"${'x'.repeat(9 * MiB)}",`), /metadata\.json is larger than \d+ bytes/],
			['version-2.json', text.replace('"bundleVersion":1', '"bundleVersion":2'), /is a JSON bundle of version 2; this Lifeboat reads version 1: upgrade Lifeboat/],
			['reordered.json', text.replace('{"kind":"lifeboat-bundle","bundleVersion":1,', '{"bundleVersion":1,"kind":"lifeboat-bundle",'), /is not a Lifeboat backup \(a JSON file that does not begin like a Lifeboat bundle/],
			['bad-size.json', text.replace(/("path":"[^"]+","size":)(\d+)/, (_all, prefix: string, size: string) => `${prefix}${Number(size) + 1}`), /holds \d+ bytes, its size says/],
			['syntax.json', head + '{"path":"x.jsonl","size":2,"lines":[1 2]}]', /expected ',' or ']' after line 1/],
		];
	};

	it('hostile bundles: verify and restore each exit 5 with one clear line; nothing is changed', () => {
		for (const [name, bytes, pattern] of hostile()) {
			const file = bundleFile(name, bytes);
			const target = freshGateway();
			const before = storeDigest(target);
			for (const args of [['backup', 'verify', file], ['backup', 'restore', '--in', file, '--data-dir', target, '--yes']]) {
				const result = runCli(args);
				expect(result.code, `${name} ${args[1]}: ${result.stderr}`).toBe(5);
				const lines = result.stderr.trim().split('\n');
				expect(lines, `${name} ${args[1]}`).toHaveLength(1);
				expect(lines[0], `${name} ${args[1]}`).toMatch(pattern);
			}
			expect(storeDigest(target), name).toEqual(before);
		}
	}, 120_000);

	it('a 50 MB string without its closing quote is refused as truncated in bounded memory', () => {
		// The metadata (forged too) declares room for it, so the string is read until the input ends.
		const start = text.indexOf('{"path":');
		const head = Buffer.from(text.slice(0, start).replace(/"totalBytes": \d+/, '"totalBytes": 100000000') + '{"path":"big.jsonl","size":60000000,"lines":["');
		const file = path.join(tempDir(), 'open-string.json');
		const fd = fs.openSync(file, 'w');
		fs.writeSync(fd, head);
		const block = Buffer.alloc(MiB, 0x61);
		for (let index = 0; index < 50; index++) fs.writeSync(fd, block);
		fs.closeSync(fd);
		// The CLI's own peak RSS (KiB), printed at exit by a preloaded one-liner.
		const peak = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss "+process.resourceUsage().maxRSS+"\\n"))';
		const result = spawnSync(process.execPath, ['--import', peak, CLI, 'backup', 'verify', file], {encoding: 'utf8'});
		expect(result.status, result.stderr).toBe(5);
		expect(result.stderr).toMatch(/open-string\.json is truncated \(JSON bundle: it ends inside line 1 of "big\.jsonl"/);
		const rss = Number(/maxrss (\d+)/.exec(result.stderr)![1]) * 1024;
		expect(rss).toBeLessThan(200 * MiB);
	});

	it('backup create --help and a wrong --format name json', () => {
		expect(runCli(['backup', 'create', '--help']).stdout).toMatch(/--format FMT\s+zip \(default\), tar\.gz, tar\.zst \(needs the zstd program\), json/);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--format', 'jsn']), 2, /use zip, tar\.gz, tar\.zst, json or dir/);
	});
});
