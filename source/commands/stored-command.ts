/**
 * The command a schedule runs (`backup create --dest … --encrypt --incremental`), parsed with the
 * CLI's own flag table and usage checks, so a typo fails at `schedule add`, not at 3 a.m. It is
 * stored canonical: `--flag=value` tokens, every path absolute (the daemon runs elsewhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import meow from 'meow';
import {ARCHIVE_FORMATS} from '../core/archive/archive-format.js';
import {PASSPHRASE_ENV} from '../core/backup/backup-source.js';
import {readPassphraseFile} from '../core/backup/passphrase-file.js';
import {defaultBackupDir} from '../core/default-locations.js';
import {isUrl, parseLocation} from '../core/destinations/location.js';
import {checkEndpointSetting, isDestinationName, lookupNamedDestination} from '../core/destinations/named-destinations.js';
import {LifeboatError} from '../core/errors.js';
import {openGateway} from '../core/store/gateway-store.js';
import {checkUsage} from './check-usage.js';
import {FLAGS, VALUE_FLAGS} from './cli-flags.js';
import {findCommand} from './command-table.js';
import type {Flags} from './command-context.js';

const dashed = (name: string) => name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);

/** Flags whose value is a local path: made absolute when the schedule is added. */
const PATH_FLAGS = ['dataDir', 'passphraseFile', 'sshKey', 'knownHosts'] as const;

export type ParsedCommand = {flags: Flags; args: string[]};

/** Parses `backup create …` tokens as the CLI would; usage errors name the schedule's command. */
export function parseStoredCommand(tokens: readonly string[]): ParsedCommand {
	const passphrase = tokens.find(token => /^--passphrase(=|$)/.test(token));
	if (passphrase !== undefined) throw new LifeboatError('usage', `A schedule never stores a passphrase: remove --passphrase and use --passphrase-file FILE, or set ${PASSPHRASE_ENV} in the daemon's environment`);
	const [first, second, ...rest] = tokens;
	const command = first ? findCommand(first, second) : undefined;
	if (!command || command.words.join(' ') !== 'backup create') {
		throw new LifeboatError('usage', `A schedule runs "backup create …" (got ${JSON.stringify(tokens.slice(0, 2).join(' ').slice(0, 60) || 'nothing')}): lifeboat schedule add NAME --cron "0 3 * * *" -- backup create --dest …`);
	}
	const parsed = meow('', {importMeta: import.meta, argv: rest, autoHelp: false, autoVersion: false, allowUnknownFlags: true, flags: FLAGS});
	checkUsage(command, rest, parsed.input, VALUE_FLAGS);
	const unknown = Object.keys(parsed.flags).filter(name => !(name in FLAGS) && name !== 'h');
	if (unknown.length > 0) throw new LifeboatError('usage', `Unknown flag --${dashed(unknown[0]!)} in the scheduled command (see lifeboat backup create --help)`);
	if (parsed.input.length > 0) throw new LifeboatError('usage', `backup create takes no arguments (got ${parsed.input.join(' ').slice(0, 60)}; see lifeboat backup create --help)`);
	return {flags: parsed.flags as Flags, args: []};
}

/** `--full-every N` may be written among the backup's flags: it is the schedule's, taken out here. */
export function takeFullEvery(tokens: readonly string[]): {tokens: string[]; fullEvery?: string} {
	const kept: string[] = [];
	let fullEvery: string | undefined;
	for (let index = 0; index < tokens.length; index++) {
		const token = tokens[index]!;
		if (token === '--full-every') {
			fullEvery = tokens[index + 1] ?? '';
			index++;
		} else if (token.startsWith('--full-every=')) fullEvery = token.slice('--full-every='.length);
		else kept.push(token);
	}
	return {tokens: kept, fullEvery};
}

/** Refusals that only matter for a command that runs again and again, unattended. */
function checkUnattended(flags: Flags): void {
	if (flags.out !== undefined) throw new LifeboatError('usage', 'A schedule writes a new backup each run: use --dest DIR|URL|NAME, not --out');
	if (flags.name !== undefined) throw new LifeboatError('usage', 'A schedule writes a new backup each run: drop --name (each backup is named by its time)');
	if (flags.base !== undefined) throw new LifeboatError('usage', 'A scheduled incremental always follows the newest backup of its scope: drop --base (--since-last is the default)');
	if (flags.format !== undefined && !(ARCHIVE_FORMATS as readonly string[]).includes(flags.format)) throw new LifeboatError('usage', `Unknown --format ${flags.format} (use zip, tar.gz, tar.zst, json or dir)`);
	if ((flags.sinceLast || flags.base !== undefined) && !flags.incremental) throw new LifeboatError('usage', '--since-last chooses the base of an incremental backup: add --incremental');
}

/** The destination a schedule writes to, as stored: a name or URL as given (a URL checked: no secret is stored), a path made absolute. */
function storedDestination(text: string, env: NodeJS.ProcessEnv): string {
	if (isUrl(text)) {
		parseLocation(text);
		return text;
	}
	if (isDestinationName(text) && lookupNamedDestination(text, env)) return text;
	return path.resolve(text);
}

/**
 * Checks the command as `schedule add` stores it and returns it canonical (`--flag=value`, absolute
 * paths, a --data-dir and --dest always given). The gateway must be there and the passphrase file
 * readable now; what only the daemon's environment can give (LIFEBOAT_BACKUP_PASSPHRASE,
 * credentials) is checked at each run.
 */
export async function canonicalCommand(tokens: readonly string[], env: NodeJS.ProcessEnv): Promise<{command: string[]; flags: Flags}> {
	const {flags} = parseStoredCommand(tokens);
	checkUnattended(flags);
	const canonical: Flags = {...flags, json: undefined};
	const dataDir = flags.dataDir ?? env['LIFEBOAT_DATA_DIR'];
	if (!dataDir) throw new LifeboatError('usage', 'The scheduled backup needs its gateway: add --data-dir DIR to the command (or set LIFEBOAT_DATA_DIR when adding it)');
	canonical.dataDir = dataDir;
	for (const flag of PATH_FLAGS) if (canonical[flag] !== undefined) canonical[flag] = path.resolve(canonical[flag]);
	openGateway(canonical.dataDir, {readonly: true}).close();
	if (canonical.passphraseFile) await readPassphraseFile(canonical.passphraseFile);
	canonical.dest = storedDestination(flags.dest ?? defaultBackupDir(env), env);
	checkEndpointSetting('--s3-endpoint', canonical.s3Endpoint);
	checkEndpointSetting('--azure-endpoint', canonical.azureEndpoint);
	if (canonical.passphraseFile && !fs.statSync(canonical.passphraseFile).isFile()) throw new LifeboatError('usage', `--passphrase-file ${canonical.passphraseFile} is not a file`);
	return {command: ['backup', 'create', ...toTokens(canonical)], flags: canonical};
}

/** Flags back to tokens, in the flag table's order (`--dest=/srv/b`, `--encrypt`). */
export function toTokens(flags: Flags): string[] {
	const tokens: string[] = [];
	for (const name of Object.keys(FLAGS) as Array<keyof Flags>) {
		const value = flags[name];
		if (value === undefined || value === false) continue;
		tokens.push(value === true ? `--${dashed(name)}` : `--${dashed(name)}=${value}`);
	}
	return tokens;
}
