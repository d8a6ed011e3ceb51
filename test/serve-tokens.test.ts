import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Readable} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {receiveBundleBody} from '../source/server/bundle-body.js';
import {toHttpError} from '../source/server/http-errors.js';
import {checkRequestName} from '../source/server/names.js';
import {findToken, parseTokenFile} from '../source/server/tokens.js';
import {LifeboatError} from '../source/core/errors.js';
import {runCli} from './helpers/run-cli.js';
import {freshGateway} from './restore-support.js';

describe('lifeboat serve token file', () => {
	it('parses tokens with tenant and read-only limits, comments and blank lines', () => {
		const tokens = parseTokenFile(['# tokens', '', 'aaaaaaaaaaaaaaaa', '  bbbbbbbbbbbbbbbb tenants=acme,ten_1  ', 'cccccccccccccccc read-only tenants=globex', 'dddddddddddddddd\tread-only'].join('\n'), 'tokens');
		expect(tokens.map(token => ({tenants: token.tenants, readOnly: token.readOnly, line: token.line}))).toEqual([
			{tenants: undefined, readOnly: false, line: 3},
			{tenants: ['acme', 'ten_1'], readOnly: false, line: 4},
			{tenants: ['globex'], readOnly: true, line: 5},
			{tenants: undefined, readOnly: true, line: 6},
		]);
		// The token itself is not kept.
		expect(JSON.stringify(tokens)).not.toContain('aaaaaaaaaaaaaaaa');
		expect(findToken(tokens, 'Bearer cccccccccccccccc')).toBe(tokens[2]);
		expect(findToken(tokens, 'bearer   bbbbbbbbbbbbbbbb')).toBe(tokens[1]);
		for (const header of [undefined, '', 'Bearer', 'Bearer x', 'Basic aaaaaaaaaaaaaaaa', 'Bearer aaaaaaaaaaaaaaaa extra', 'aaaaaaaaaaaaaaaa']) expect(findToken(tokens, header), String(header)).toBeUndefined();
	});

	it('refuses short tokens, unknown options, empty tenant lists and a file without tokens (never quoting the token)', () => {
		expect(() => parseTokenFile('short', 'f')).toThrow(/f line 1: a token is at least 16 characters/);
		expect(() => parseTokenFile('aaaaaaaaaaaaaaaa admin', 'f')).toThrow(/unknown option "admin"/);
		expect(() => parseTokenFile('aaaaaaaaaaaaaaaa tenants=', 'f')).toThrow(/tenants= needs at least one/);
		// Two lists: one was silently dropped (the last won).
		expect(() => parseTokenFile('aaaaaaaaaaaaaaaa tenants=acme tenants=globex', 'f')).toThrow('f line 1: tenants= is given twice (list them all in one: tenants=a,b)');
		expect(() => parseTokenFile('# only a comment\n', 'f')).toThrow(/holds no token/);
		expect(() => parseTokenFile('aaaaaaaaaaaaaaa"aa', 'f')).toThrow(/line 1/);
		// A second token on a line, or a token after its options, is no option to quote.
		for (const text of ['aaaaaaaaaaaaaaaa LEAKsecondToken0123', 'tenants=acme-corp LEAKtokenAfter0123']) {
			expect(() => parseTokenFile(text, 'f')).toThrow(/f line 1: one token a line/);
			expect(() => parseTokenFile(text, 'f')).not.toThrow(/LEAK/);
		}
		const dir = freshGateway();
		const file = path.join(path.dirname(dir), 'tokens');
		fs.writeFileSync(file, 'aaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbb LEAKsecondToken0123\n', {mode: 0o600});
		const served = runCli(['serve', '--data-dir', dir, '--token-file', file]);
		expect(served.code).toBe(2);
		expect(served.stdout + served.stderr).toMatch(/line 2: one token a line/);
		expect(served.stdout + served.stderr).not.toMatch(/LEAK/);
		try {
			parseTokenFile('secretsecretsecret! read-only', 'f');
		} catch (error) {
			expect((error as Error).message).not.toContain('secretsecretsecret');
		}
	});
});

describe('lifeboat serve request names and errors', () => {
	it('accepts plain names and refuses paths, traversal and encodings', () => {
		for (const name of ['my_backup', 'lifeboat-backup-20261201-120000.zip', 'a.tar.gz', 'x+y']) expect(checkRequestName(name, 'name')).toBe(name);
		for (const name of ['', '..', '../x', 'a/b', 'a\\b', '/etc/passwd', '%2e%2e', '.hidden', 'C:x', 'a\u0000b', 'é', 'a'.repeat(201), 42]) expect(() => checkRequestName(name, 'name'), String(name)).toThrow();
	});

	it('maps engine errors to statuses; a store lock is 503, anything unknown a 500 keeping its cause', () => {
		expect(toHttpError(new LifeboatError('corrupt-archive', 'bad')).status).toBe(422);
		expect(toHttpError(new LifeboatError('destination', 'x: no such backup')).error).toBe('Backup not found');
		expect(toHttpError(Object.assign(new Error('database is locked'), {code: 'SQLITE_BUSY'})).status).toBe(503);
		const unknown = toHttpError(new Error('boom'), 'Import failed');
		expect(unknown).toMatchObject({status: 500, error: 'Import failed', detail: undefined});
		expect((unknown.cause as Error).message).toBe('boom');
	});
});

describe('lifeboat serve bundle body (read as it arrives)', () => {
	async function parse(chunks: string[], limit = 1 << 20): Promise<{bytes: Buffer; options: unknown}> {
		const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bundle-body-'));
		try {
			const {options} = await receiveBundleBody(Readable.from(chunks.map(chunk => Buffer.from(chunk))), scratch, limit, 4 << 20);
			return {bytes: fs.readFileSync(path.join(scratch, 'upload')), options};
		} finally {
			fs.rmSync(scratch, {recursive: true, force: true});
		}
	}

	it('decodes the bundle and parses the options whatever the chunk boundaries', async () => {
		const options = {dry_run: true, only: ['chats', 'a"}]{['], mode: 'additive', nested: {x: [1, {y: '\\'}]}};
		for (const size of [0, 1, 2, 3, 4, 5, 1000, 4097]) {
			const bytes = crypto.randomBytes(size);
			const base64 = bytes.toString('base64');
			for (const body of [JSON.stringify({bundle: base64, options}), JSON.stringify({options, bundle: base64}), ` { "bundle" : "${base64.replaceAll('/', '\\/')}" }\n`]) {
				if (size === 0) {
					await expect(parse([body])).rejects.toThrow(/bundle is empty/);
					continue;
				}
				for (const step of [1, 3, 7, 64, body.length]) {
					const chunks = Array.from({length: Math.ceil(body.length / step)}, (_, index) => body.slice(index * step, index * step + step));
					const parsed = await parse(chunks);
					expect(parsed.bytes.equals(bytes), `size ${size} step ${step}`).toBe(true);
					expect(parsed.options).toEqual(body.includes('options') ? options : undefined);
				}
			}
		}
	});

	it('refuses what is not exactly {bundle, options}: bad base64, duplicates, unknown keys, trailing text, over the limit', async () => {
		const cases: Array<[string, RegExp]> = [
			['{"bundle": "QUJD", "bundle": "QUJD"}', /given twice/],
			['{"bundle": "QUJD", "extra": 1}', /unknown field "extra"/],
			['{"bundle": "QUJD"} x', /text after the object/],
			['{"bundle": "QU=D"}', /not valid base64/],
			['{"bundle": "QUJ"}', /not valid base64/],
			['{"bundle": "QUJD\\n"}', /not valid base64/],
			['{"bundle": "QUJD!"}', /not valid base64/],
			['{"bundle": 12}', /must be a string/],
			['{"options": {}}', /bundle is missing/],
			['{"bundle": "QUJD", "options": {"a": }}', /options is not valid JSON/],
			['{"bundle": "QUJD"', /not a complete JSON object/],
			['["bundle"]', /must be a JSON object/],
			['{"bundle": "QUJD",}', /a key was expected/],
		];
		for (const [body, message] of cases) await expect(parse([body]), body).rejects.toThrow(message);
		await expect(parse([JSON.stringify({bundle: crypto.randomBytes(3000).toString('base64')})], 2048)).rejects.toThrow(/more than the limit of 2048 bytes/);
	});
});
