/**
 * Named destinations: `lifeboat destination add offsite s3://bucket/gw1/ --s3-endpoint …`, then
 * `--dest offsite` wherever a URL works. Kept in `$XDG_CONFIG_HOME/lifeboat/destinations.json`
 * (else `~/.config/lifeboat/`; `LIFEBOAT_CONFIG_DIR` overrides), mode 0600 in a 0700 folder,
 * written atomically. The file holds no secret: URLs with passwords are refused and the only
 * options are where to connect and which files to read credentials from.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {LifeboatError} from '../errors.js';
import {ensureDir, PRIVATE_FILE_MODE} from '../private-fs.js';
import {folderLabel, isUrl, parseLocation} from './location.js';

/** Connection settings a destination may carry. None is a secret. */
export type DestinationSettings = {
	/** S3-compatible endpoint (`https://minio.example:9000`); path-style addressing. */
	s3Endpoint?: string;
	s3Region?: string;
	/** Azure Blob endpoint (another cloud, azurite). */
	azureEndpoint?: string;
	/** SSH private key file (its path, never its content). */
	sshKey?: string;
	/** known_hosts file checked for the SFTP server's host key. */
	knownHosts?: string;
};

export type NamedDestination = {name: string; url: string} & DestinationSettings;

type ConfigFile = {version: 1; destinations: NamedDestination[]};

const SETTING_KEYS = ['s3Endpoint', 's3Region', 'azureEndpoint', 'sshKey', 'knownHosts'] as const;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
	if (env['LIFEBOAT_CONFIG_DIR']) return path.resolve(env['LIFEBOAT_CONFIG_DIR']);
	return path.join(env['XDG_CONFIG_HOME'] ? path.resolve(env['XDG_CONFIG_HOME']) : path.join(os.homedir(), '.config'), 'lifeboat');
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(configDir(env), 'destinations.json');
}

/** A name is a word (`offsite`, `s3-daily`): never a path or URL, so `--dest` can tell them apart. */
export function isDestinationName(text: string): boolean {
	return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(text) && !text.includes('.');
}

function damaged(file: string, why: string): LifeboatError {
	return new LifeboatError('usage', `${file} is not a valid destinations file (${why}); fix or remove it`);
}

function checkEntry(value: unknown, file: string): NamedDestination {
	const entry = value as Record<string, unknown>;
	if (typeof entry?.['name'] !== 'string' || !isDestinationName(entry['name'])) throw damaged(file, 'an entry has no valid name');
	if (typeof entry['url'] !== 'string') throw damaged(file, `${entry['name']} has no url`);
	for (const key of Object.keys(entry)) {
		if (key !== 'name' && key !== 'url' && !(SETTING_KEYS as readonly string[]).includes(key)) throw damaged(file, `${entry['name']} has an unknown setting ${JSON.stringify(key).slice(0, 40)}`);
		if (typeof entry[key] !== 'string') throw damaged(file, `${entry['name']}.${key} is not a string`);
	}
	return entry as NamedDestination;
}

/**
 * Whoever can change this file chooses where backups go: like ssh with its config, a file or
 * folder that another user owns or that group/others may write is refused.
 */
export function refuseShared(file: string, risk = 'anyone could redirect backups'): void {
	const uid = process.getuid?.();
	for (const target of [file, path.dirname(file)]) {
		const stats = fs.statSync(target);
		const others = (stats.mode & 0o022) !== 0;
		const owner = uid !== undefined && stats.uid !== uid && stats.uid !== 0;
		if (others || owner) {
			const why = others ? `group or others may write it (mode ${(stats.mode & 0o777).toString(8)})` : `it belongs to another user (uid ${stats.uid})`;
			throw new LifeboatError('usage', `Refusing ${target}: ${why}, so ${risk}; make it yours and chmod ${target === file ? '600' : '700'} it`);
		}
	}
}

export function readNamedDestinations(env: NodeJS.ProcessEnv = process.env): NamedDestination[] {
	const file = configFile(env);
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw new LifeboatError('usage', `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
	refuseShared(file);
	let parsed: ConfigFile;
	try {
		parsed = JSON.parse(text) as ConfigFile;
	} catch {
		throw damaged(file, 'not JSON');
	}
	if (parsed?.version !== 1 || !Array.isArray(parsed.destinations)) throw damaged(file, 'expected {"version": 1, "destinations": [...]}');
	return parsed.destinations.map(entry => checkEntry(entry, file));
}

function writeNamedDestinations(destinations: NamedDestination[], env: NodeJS.ProcessEnv): void {
	writePrivateJson(configFile(env), {version: 1, destinations} satisfies ConfigFile);
}

/** Writes a config file atomically (temporary file, fsync, rename), 0600 in a 0700 folder. */
export function writePrivateJson(file: string, body: unknown): void {
	ensureDir(path.dirname(file));
	fs.chmodSync(path.dirname(file), 0o700);
	const temporary = `${file}.${process.pid}-${crypto.randomBytes(3).toString('hex')}.tmp`;
	fs.writeFileSync(temporary, JSON.stringify(body, null, 2) + '\n', {mode: PRIVATE_FILE_MODE, flag: 'wx'});
	try {
		fs.chmodSync(temporary, PRIVATE_FILE_MODE);
		const handle = fs.openSync(temporary, 'r');
		fs.fsyncSync(handle);
		fs.closeSync(handle);
		fs.renameSync(temporary, file);
	} catch (error) {
		fs.rmSync(temporary, {force: true});
		throw error;
	}
}

/**
 * An endpoint that is stored and listed (a named destination's, a schedule's command): a plain
 * http(s) URL, refused without being quoted when it holds a user name, a password, a query or a
 * fragment (a SAS signature or a token rides there: the Azure portal's "Blob service SAS URL").
 */
export function checkEndpointSetting(flag: '--s3-endpoint' | '--azure-endpoint', value: string | undefined): void {
	if (value === undefined) return;
	let url: URL | undefined;
	try {
		url = new URL(value);
	} catch {}
	if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || /[?#\s]/.test(value)) {
		throw new LifeboatError('usage', `${flag} must be an http(s) URL without credentials, query or fragment`);
	}
}

/** Adds (or with `replace`, updates) a named destination; the URL is checked and stored canonical. */
export function addNamedDestination(entry: NamedDestination, options: {replace?: boolean; env?: NodeJS.ProcessEnv} = {}): NamedDestination {
	const env = options.env ?? process.env;
	if (!isDestinationName(entry.name)) throw new LifeboatError('usage', `Invalid destination name ${JSON.stringify(entry.name.slice(0, 80))}: use letters, digits, - and _ (up to 64; no dots or slashes, so it is never mistaken for a path)`);
	const location = parseLocation(entry.url);
	if (location.object) throw new LifeboatError('usage', `A named destination is a folder or prefix, not one backup: drop ${location.object} from the URL`);
	const stored: NamedDestination = {name: entry.name, url: folderLabel(location)};
	for (const key of SETTING_KEYS) if (entry[key]) stored[key] = key === 'sshKey' || key === 'knownHosts' ? path.resolve(entry[key]!) : entry[key];
	checkEndpointSetting('--s3-endpoint', stored.s3Endpoint);
	checkEndpointSetting('--azure-endpoint', stored.azureEndpoint);
	const existing = readNamedDestinations(env);
	const index = existing.findIndex(candidate => candidate.name === entry.name);
	if (index >= 0 && !options.replace) throw new LifeboatError('exists', `A destination named ${entry.name} exists already (${existing[index]!.url}); remove it first or pass --force`);
	if (index >= 0) existing[index] = stored;
	else existing.push(stored);
	writeNamedDestinations(existing, env);
	return stored;
}

export function removeNamedDestination(name: string, env: NodeJS.ProcessEnv = process.env): NamedDestination {
	const existing = readNamedDestinations(env);
	const found = existing.find(candidate => candidate.name === name);
	if (!found) throw new LifeboatError('usage', `No destination named ${JSON.stringify(name.slice(0, 80))} (see: lifeboat destination list)`);
	writeNamedDestinations(existing.filter(candidate => candidate !== found), env);
	return found;
}

/**
 * What `--dest X` means: a named destination when X is a name that exists; otherwise a URL or
 * a path. A bare word that is no destination's name is a local folder of that name, as before.
 */
export function lookupNamedDestination(text: string, env: NodeJS.ProcessEnv = process.env): NamedDestination | undefined {
	if (isUrl(text) || !isDestinationName(text)) return undefined;
	const found = readNamedDestinations(env).find(candidate => candidate.name === text);
	// A word that names both a destination and a folder here is said, never guessed.
	if (found && fs.existsSync(text)) throw new LifeboatError('usage', `"${text}" is both a named destination (${found.url}) and a folder here: write ./${text} for the folder, or rename the destination`);
	return found;
}
