/**
 * API tokens of `lifeboat serve`. A token file holds one token a line:
 *
 *     # comment
 *     TOKEN                          full access, any tenant
 *     TOKEN tenants=acme,globex      only these tenants (id or slug)
 *     TOKEN tenants=acme read-only   list and download only
 *
 * A token is at least 16 characters of [A-Za-z0-9._~+/=-]. The file must not be readable by
 * group or others (as ssh refuses a private key). Without a file, env LIFEBOAT_API_TOKEN is one
 * full-access token. Tokens are compared in constant time (over their SHA-256 digests, every
 * token checked) and never logged.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import {LifeboatError} from '../core/errors.js';

export type ApiToken = {
	/** SHA-256 of the token: the token itself is not kept. */
	digest: Buffer;
	/** Tenant ids or slugs this token may act for; undefined = any tenant. */
	tenants?: string[];
	readOnly: boolean;
	/** Line of the token file (1-based), for messages that must not show the token. */
	line: number;
};

const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,}$/;

function digestOf(token: string): Buffer {
	return crypto.createHash('sha256').update(token, 'utf8').digest();
}

export function parseTokenFile(text: string, label: string): ApiToken[] {
	const tokens: ApiToken[] = [];
	for (const [index, raw] of text.split(/\r?\n/).entries()) {
		const line = raw.trim();
		if (!line || line.startsWith('#')) continue;
		const [token, ...options] = line.split(/\s+/);
		const where = `${label} line ${index + 1}`;
		if (!TOKEN_PATTERN.test(token!)) throw new LifeboatError('usage', `${where}: a token is at least 16 characters of A-Z a-z 0-9 . _ ~ + / = -`);
		const parsed: ApiToken = {digest: digestOf(token!), readOnly: false, line: index + 1};
		for (const option of options) {
			if (option === 'read-only') parsed.readOnly = true;
			else if (option.startsWith('tenants=')) {
				const tenants = option.slice('tenants='.length).split(',').filter(Boolean);
				if (tenants.length === 0) throw new LifeboatError('usage', `${where}: tenants= needs at least one tenant id or slug`);
				// Never one silently dropped: list every tenant in one tenants=a,b.
				if (parsed.tenants) throw new LifeboatError('usage', `${where}: tenants= is given twice (list them all in one: tenants=a,b)`);
				parsed.tenants = tenants;
			} else if (TOKEN_PATTERN.test(option)) {
				// A second token on the line, or the token written after its options: never quoted.
				throw new LifeboatError('usage', `${where}: one token a line, its options after it (tenants=a,b and read-only); a word shaped like a token is not an option`);
			} else throw new LifeboatError('usage', `${where}: unknown option ${JSON.stringify(option.slice(0, 40))} (use tenants=a,b and read-only)`);
		}
		tokens.push(parsed);
	}
	if (tokens.length === 0) throw new LifeboatError('usage', `${label} holds no token`);
	return tokens;
}

/** Reads a token file, refusing one that group or others can read (or that is not a file). */
export function readTokenFile(file: string): ApiToken[] {
	let stats: fs.Stats;
	try {
		stats = fs.statSync(file);
	} catch (error) {
		throw new LifeboatError('usage', `--token-file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
	}
	if (!stats.isFile()) throw new LifeboatError('usage', `--token-file ${file}: not a file`);
	if ((stats.mode & 0o077) !== 0) {
		throw new LifeboatError('usage', `--token-file ${file}: permissions ${(stats.mode & 0o777).toString(8).padStart(4, '0')} are too open (readable by group or others); run chmod 600 ${file}`);
	}
	return parseTokenFile(fs.readFileSync(file, 'utf8'), `--token-file ${file}`);
}

/** The server's tokens: the file's, else LIFEBOAT_API_TOKEN's; none is a refusal to start. */
export function loadTokens(tokenFile: string | undefined, env: NodeJS.ProcessEnv): ApiToken[] {
	if (tokenFile) return readTokenFile(tokenFile);
	const fromEnv = env['LIFEBOAT_API_TOKEN']?.trim();
	if (fromEnv) return parseTokenFile(fromEnv, 'LIFEBOAT_API_TOKEN');
	throw new LifeboatError('usage', 'lifeboat serve needs an API token: pass --token-file F (one token a line, chmod 600) or set LIFEBOAT_API_TOKEN');
}

/** The token an `Authorization: Bearer …` header holds, checked against every token in constant time. */
export function findToken(tokens: readonly ApiToken[], header: string | undefined): ApiToken | undefined {
	const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
	// Unknown or missing: still hash something and compare with every token, so timing says nothing.
	const digest = digestOf(match?.[1] ?? '');
	let found: ApiToken | undefined;
	for (const token of tokens) {
		if (crypto.timingSafeEqual(token.digest, digest) && match) found ??= token;
	}
	return found;
}
