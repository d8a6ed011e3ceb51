/**
 * Where a command reads or writes backups, as the operator types it:
 *
 * - a local path: `/var/backups/lifeboat`, `./backups`, `~/x.zip`
 * - `s3://BUCKET/PREFIX/`
 * - `azblob://ACCOUNT/CONTAINER/PREFIX/`
 * - `sftp://USER@HOST:PORT/PATH/` (`sftp://USER@HOST/~/PATH/` is relative to the login folder)
 *
 * A URL whose last segment is an archive name (`.zip`, `.tar.gz`, `.tgz`, each optionally
 * `.enc`) is that exact object; any other URL is a folder/prefix. URLs hold no secret: a password
 * in one is refused (credentials come from the environment, a profile or a key file).
 */
import os from 'node:os';
import path from 'node:path';
import {formatFromPath} from '../archive/archive-format.js';
import {LifeboatError} from '../errors.js';
import type {DestinationKind} from './destination.js';

export type Location =
	| {kind: 'local'; folder: string; object?: string}
	| {kind: 's3'; bucket: string; prefix: string; object?: string}
	| {kind: 'azblob'; account: string; container: string; prefix: string; object?: string}
	| {kind: 'sftp'; user: string; host: string; port: number; path: string; object?: string};

const SCHEMES: Record<string, DestinationKind> = {'s3:': 's3', 'azblob:': 'azblob', 'sftp:': 'sftp'};

/**
 * The URL as typed, with any password masked and any query or fragment left out (a SAS signature
 * or a token rides there): an error line must not repeat a secret.
 */
function masked(text: string): string {
	const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
	if (!scheme) return text;
	const rest = text.slice(scheme[0].length);
	// The userinfo runs to the LAST @ (a secret may hold / ? # or @ itself): masked before the query is cut.
	const at = rest.lastIndexOf('@');
	const userinfo = at < 0 ? '' : rest.slice(0, at);
	const colon = userinfo.indexOf(':');
	const shown = `${scheme[0]}${at < 0 ? rest : `${colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:***`}@${rest.slice(at + 1)}`}`;
	const query = shown.slice(scheme[0].length).search(/[?#]/);
	return query < 0 ? shown : `${shown.slice(0, scheme[0].length + query)}?…`;
}

const bad = (text: string, why: string) => new LifeboatError('usage', `Invalid destination ${JSON.stringify(masked(text).slice(0, 200))}: ${why}`);

export function isUrl(text: string): boolean {
	return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** Decoded path segments; `..`, `.`, empty inner segments and control characters are refused. */
function segmentsOf(text: string, pathname: string): string[] {
	const raw = pathname.split('/').slice(1);
	if (raw.at(-1) === '') raw.pop();
	return raw.map(segment => {
		let decoded: string;
		try {
			decoded = decodeURIComponent(segment);
		} catch {
			throw bad(text, 'a path segment is not valid percent-encoding');
		}
		if (decoded === '' || decoded === '.' || decoded === '..') throw bad(text, 'empty, "." and ".." path segments are not allowed');
		if (/[\u0000-\u001F\u007F\\/]/.test(decoded)) throw bad(text, 'control characters, slashes and backslashes inside a path segment are not allowed');
		return decoded;
	});
}

/** Splits off the last segment when it is an archive name (and the URL has no trailing slash). */
function objectOf(segments: string[], pathname: string): {folder: string[]; object?: string} {
	const last = segments.at(-1);
	if (last && !pathname.endsWith('/') && formatFromPath(last)) return {folder: segments.slice(0, -1), object: last};
	return {folder: segments};
}

const prefixOf = (segments: string[]) => (segments.length ? `${segments.join('/')}/` : '');

function parseS3(text: string, url: URL, segments: string[]): Location {
	const bucket = url.hostname;
	if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) throw bad(text, 'an S3 bucket name is 3–63 lowercase letters, digits, dots and hyphens');
	if (url.port) throw bad(text, 'an S3 URL has no port (use --s3-endpoint for another server)');
	const {folder, object} = objectOf(segments, url.pathname);
	return {kind: 's3', bucket, prefix: prefixOf(folder), object};
}

function parseAzure(text: string, url: URL, segments: string[]): Location {
	const account = url.hostname;
	if (!/^[a-z0-9]{3,24}$/.test(account)) throw bad(text, 'an Azure storage account name is 3–24 lowercase letters and digits');
	if (url.port) throw bad(text, 'an azblob URL has no port (set LIFEBOAT_AZURE_ENDPOINT for another server)');
	const [container, ...rest] = segments;
	if (!container || !/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) throw bad(text, 'give a container: azblob://ACCOUNT/CONTAINER/PREFIX/ (3–63 lowercase letters, digits and single hyphens)');
	const {folder, object} = objectOf(rest, url.pathname);
	return {kind: 'azblob', account, container, prefix: prefixOf(folder), object};
}

function parseSftp(text: string, url: URL, segments: string[]): Location {
	const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
	if (!host) throw bad(text, 'give a host: sftp://USER@HOST:PORT/PATH/');
	const user = url.username ? decodeURIComponent(url.username) : os.userInfo().username;
	if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user)) throw bad(text, 'invalid user name');
	const port = url.port ? Number(url.port) : 22;
	const home = segments[0] === '~';
	const {folder, object} = objectOf(home ? segments.slice(1) : segments, url.pathname);
	const joined = folder.join('/');
	return {kind: 'sftp', user, host, port, path: home ? (joined ? `${joined}/` : '') : `/${joined}${joined ? '/' : ''}`, object};
}

/**
 * Parses a destination as typed. `localObject` says what a local path names: 'folder' (as
 * `--dest`), 'object' (as `backup verify PATH`) or 'auto' (an archive-looking name is a file).
 */
export function parseLocation(text: string, options: {localObject?: 'folder' | 'object' | 'auto'} = {}): Location {
	if (text.trim() === '') throw new LifeboatError('usage', 'Empty destination');
	if (!isUrl(text)) {
		const resolved = path.resolve(text.replace(/^~(?=$|\/)/, os.homedir()));
		const mode = options.localObject ?? 'folder';
		if (mode === 'object' || (mode === 'auto' && formatFromPath(resolved) && !/[\\/]$/.test(text))) return {kind: 'local', folder: path.dirname(resolved), object: path.basename(resolved)};
		return {kind: 'local', folder: resolved};
	}
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw bad(text, 'not a valid URL');
	}
	// URL parsing folds `.` and `..` away (and their %2e forms): look at the path as typed.
	const typedPath = text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/[?#].*$/s, '');
	if (typedPath.split('/').some(part => /^(\.|%2e){1,2}$/i.test(part))) throw bad(text, 'empty, "." and ".." path segments are not allowed');
	const typedAuthority = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0]!;
	if (/:$/.test(typedAuthority.replace(/^\[.*\]/, ''))) throw bad(text, 'a ":" after the host needs a port number');
	if (url.protocol === 'file:') return parseLocation(decodeURIComponent(url.pathname), options);
	const kind = SCHEMES[url.protocol];
	if (!kind) throw bad(text, `unknown scheme ${url.protocol}// (use a local path, s3://, azblob:// or sftp://)`);
	if (url.password) throw bad(text, 'a URL must not hold a password or secret; credentials come from the environment, a profile or a key file');
	if (url.search || url.hash) throw bad(text, 'no query string or fragment');
	if (kind !== 'sftp' && url.username) throw bad(text, 'no user name in an s3:// or azblob:// URL; credentials come from the environment');
	const segments = segmentsOf(text, url.pathname);
	if (kind === 's3') return parseS3(text, url, segments);
	if (kind === 'azblob') return parseAzure(text, url, segments);
	return parseSftp(text, url, segments);
}

const encode = (segment: string) => encodeURIComponent(segment).replace(/%40/g, '@');

/** The folder/prefix as a printable URL (no secret in it): what the destination's label says. */
export function folderLabel(location: Location): string {
	switch (location.kind) {
		case 'local':
			return location.folder;
		case 's3':
			return `s3://${location.bucket}/${location.prefix.split('/').filter(Boolean).map(encode).map(part => `${part}/`).join('')}`;
		case 'azblob':
			return `azblob://${location.account}/${location.container}/${location.prefix.split('/').filter(Boolean).map(encode).map(part => `${part}/`).join('')}`;
		case 'sftp': {
			const host = location.host.includes(':') ? `[${location.host}]` : location.host;
			const where = location.path.startsWith('/') ? location.path : `/~/${location.path}`;
			return `sftp://${location.user}@${host}:${location.port}${where.split('/').map(part => (part === '~' ? part : encode(part))).join('/')}`;
		}
	}
}

/** The exact object as a printable location. */
export function objectLabel(location: Location, name = location.object): string {
	if (!name) return folderLabel(location);
	return location.kind === 'local' ? path.join(location.folder, name) : `${folderLabel(location)}${encode(name)}`;
}
