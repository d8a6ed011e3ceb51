import {describe, expect, it} from 'vitest';
import {toHttpError} from '../source/server/http-errors.js';
import {checkRequestName} from '../source/server/names.js';
import {findToken, parseTokenFile} from '../source/server/tokens.js';
import {LifeboatError} from '../source/core/errors.js';

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
		expect(() => parseTokenFile('# only a comment\n', 'f')).toThrow(/holds no token/);
		expect(() => parseTokenFile('aaaaaaaaaaaaaaa"aa', 'f')).toThrow(/line 1/);
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
