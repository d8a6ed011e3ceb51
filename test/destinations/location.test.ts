import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {folderLabel, objectLabel, parseLocation, type Location} from '../../source/core/destinations/location.js';
import {LifeboatError} from '../../source/core/errors.js';

const segment = fc.string({minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcXYZ019 -_.é€@+%#?&='.split(''))}).filter(text => text !== '.' && text !== '..' && text.trim() === text && text !== '');
const prefix = fc.array(segment, {maxLength: 3}).map(parts => parts.map(part => `${part}/`).join(''));
const objectName = fc.option(fc.tuple(segment, fc.constantFrom('.zip', '.tar.gz', '.zip.enc', '.tar.gz.enc')).map(([base, ext]) => base + ext), {nil: undefined});

const location: fc.Arbitrary<Location> = fc.oneof(
	fc.record({kind: fc.constant('s3' as const), bucket: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/), prefix, object: objectName}),
	fc.record({kind: fc.constant('azblob' as const), account: fc.stringMatching(/^[a-z0-9]{3,24}$/), container: fc.stringMatching(/^[a-z0-9][a-z0-9]{1,20}[a-z0-9]$/), prefix, object: objectName}),
	fc.record({
		kind: fc.constant('sftp' as const),
		user: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,8}$/),
		host: fc.constantFrom('127.0.0.1', 'backup.example.org', '::1'),
		port: fc.integer({min: 1, max: 65535}),
		path: fc.oneof(prefix.map(text => `/${text}`), prefix),
		object: objectName,
	}),
);

const strip = (value: Location) => JSON.parse(JSON.stringify(value)) as Location;

describe('destination URLs', () => {
	it('parse back to the location they print, whatever the names hold', () => {
		fc.assert(
			fc.property(location, value => {
				expect(strip(parseLocation(objectLabel(value)))).toEqual(strip(value));
			}),
			{numRuns: 300},
		);
	});

	it('read as the source documents write them', () => {
		expect(parseLocation('s3://b-1/2026-11-30.zip')).toEqual({kind: 's3', bucket: 'b-1', prefix: '', object: '2026-11-30.zip'});
		expect(parseLocation('s3://backups/gw1')).toEqual({kind: 's3', bucket: 'backups', prefix: 'gw1/', object: undefined});
		expect(parseLocation('azblob://acct1/lifeboat/daily/')).toEqual({kind: 'azblob', account: 'acct1', container: 'lifeboat', prefix: 'daily/', object: undefined});
		expect(parseLocation('sftp://ops@host.example:2222/srv/backups/')).toEqual({kind: 'sftp', user: 'ops', host: 'host.example', port: 2222, path: '/srv/backups/', object: undefined});
		expect(parseLocation('sftp://ops@host/~/backups/x.tar.gz.enc')).toEqual({kind: 'sftp', user: 'ops', host: 'host', port: 22, path: 'backups/', object: 'x.tar.gz.enc'});
		expect(folderLabel(parseLocation('s3://b-1/a b/'))).toBe('s3://b-1/a%20b/');
	});

	it('refuses hostile or wrong URLs with one usage line', () => {
		for (const [text, fragment] of [
			['s3://AB/x', /bucket name/],
			['s3://bucket/../x/', /"\.\."/],
			['s3://bucket/a%2Fb/', /slashes/],
			['s3://bucket/a%00b/', /control characters/],
			['sftp://ops:hunter2@host/x/', /password/],
			['s3://key:hunter2@bucket/', /password/],
			['s3://AKIAXXX:hunter2/XUtnFEMI@bucket/', /not a valid URL|password/],
			['sftp://bob:hunter2@more@host/x/', /password|not a valid URL/],
			['sftp://bob:x@hunter2@host/x/', /password|not a valid URL/],
			['http://example.org/x.zip', /unknown scheme/],
			['azblob://acct1/', /container/],
			['s3://bucket/x?versionId=1', /query/],
			['s3://bucket:9000/x/', /port/],
			['s3://bucket/%E0%A4%A/', /percent-encoding/],
		] as const) {
			let caught: unknown;
			try {
				parseLocation(text);
			} catch (error) {
				caught = error;
			}
			expect(caught, text).toBeInstanceOf(LifeboatError);
			expect((caught as LifeboatError).exitCode).toBe(2);
			expect((caught as LifeboatError).message).toMatch(fragment);
			expect((caught as LifeboatError).message).not.toContain('hunter2');
			expect((caught as LifeboatError).message).not.toContain('\n');
		}
	});

	it('never repeats a password, whatever characters it holds', () => {
		fc.assert(
			fc.property(fc.string({minLength: 8, maxLength: 24, unit: fc.constantFrom(...'abcXYZ0189/:@?#%+=._-~!$&*'.split(''))}), fc.constantFrom('s3://user:PW@bucket/x/', 'sftp://ops:PW@host:22/x/', 'azblob://me:PW@acct1/c/x/'), (password, template) => {
				fc.pre(/[a-zA-Z0-9]{3}/.test(password));
				const secret = password.match(/[a-zA-Z0-9]{3,}/)![0];
				let message = '';
				try {
					parseLocation(template.replace('PW', password));
				} catch (error) {
					message = (error as Error).message;
				}
				// `sftp://ops:8/x@host/` is legal (host ops, port 8, a path holding @): nothing to leak then.
				expect(message).not.toContain(password);
				if (!'user ops host bucket acct1 me'.split(' ').some(word => word.includes(secret) || secret.includes(word))) expect(message).not.toContain(secret);
			}),
			{numRuns: 500},
		);
	});

	it('keeps local paths as folders for --dest and as files for a backup argument', () => {
		expect(parseLocation('/srv/backups')).toEqual({kind: 'local', folder: '/srv/backups'});
		expect(parseLocation('/srv/b/x.zip', {localObject: 'object'})).toEqual({kind: 'local', folder: '/srv/b', object: 'x.zip'});
		expect(parseLocation('/srv/b/x.zip', {localObject: 'auto'})).toEqual({kind: 'local', folder: '/srv/b', object: 'x.zip'});
		expect(parseLocation('file:///srv/b/')).toEqual({kind: 'local', folder: '/srv/b'});
	});
});
