import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Writable} from 'node:stream';
import {LifeboatError} from '../core/errors.js';
import {terminalSafe, terminalSafeJson} from '../core/terminal-safe.js';
import {writeAll} from '../core/write-all.js';
import {openGateway} from '../core/store/gateway-store.js';
import {resolveTarget, type OpenOptions, type ResolvedTarget} from '../core/destinations/open-destination.js';
import {setArchiveOnStdout} from './archive-on-stdout.js';

export {defaultBackupDir, demoHome} from '../core/default-locations.js';

/**
 * `--out -`: refused when stdout is a terminal (with `refusal`), else stdout now carries the archive
 * (an early close is then a failure, see cli.tsx). Returns where to write it: the process's stdout
 * when it is a regular file (`--out - > x.zip`) is written with writeAll, because Node writes such a
 * stdout with one write(2) per chunk and drops what a short write left (a full disk, `ulimit -f`):
 * a cut archive that exited 0. Anything else (a pipe, a socket, a test's stream) is used as it is.
 */
export function claimStdoutForArchive(context: CommandContext, refusal: string): Writable {
	if ((context.stdout as NodeJS.WriteStream).isTTY) throw new LifeboatError('usage', refusal);
	setArchiveOnStdout(true);
	if (context.stdout === process.stdout && fs.fstatSync(1).isFile()) return fileWriter(1);
	return context.stdout as Writable;
}

/** A Writable that writes each chunk whole to `fd` before taking the next (writeAll), or fails with the write's error. */
function fileWriter(fd: number): Writable {
	return new Writable({
		write(chunk: Buffer, _encoding, callback) {
			try {
				writeAll(fd, chunk);
				callback();
			} catch (error) {
				callback(error as Error);
			}
		},
	});
}

/** Connection settings given on the command line (they win over a named destination's). */
export function destinationOptions(context: CommandContext): OpenOptions {
	const {flags} = context;
	return {env: context.env, s3Endpoint: flags.s3Endpoint, s3Region: flags.s3Region, azureEndpoint: flags.azureEndpoint, sshKey: flags.sshKey, knownHosts: flags.knownHosts, trustHostKey: flags.trustHostKey};
}

/** Opens a destination name, URL or path as the command's flags say. */
export function openTarget(context: CommandContext, text: string, localObject: OpenOptions['localObject'] = 'folder'): Promise<ResolvedTarget> {
	return resolveTarget(text, {...destinationOptions(context), localObject});
}

/** Flags every command may receive (meow parses them once for the whole CLI). */
export type Flags = {
	dataDir?: string;
	dest?: string;
	out?: string;
	categories?: string;
	tenant?: string;
	format?: string;
	compression?: string;
	includeFiles?: boolean;
	name?: string;
	verify?: boolean;
	json?: boolean;
	force?: boolean;
	dir?: string;
	tenants?: number;
	scale?: string;
	seed?: number;
	in?: string;
	mode?: string;
	only?: string;
	intoTenant?: string;
	/** `backup restore` of an ATLAS export: the user its conversations become (id or email). */
	asUser?: string;
	/** `backup restore` of an ATLAS export: the agent its conversations are with (id or name). */
	agent?: string;
	dryRun?: boolean;
	yes?: boolean;
	encrypt?: boolean;
	passphraseFile?: string;
	/** `backup diff`: the passphrase of an encrypted B, when it is not A's. */
	passphraseFileB?: string;
	/** `backup diff`: the one id shown field by field. */
	id?: string;
	keyFile?: string;
	s3Endpoint?: string;
	s3Region?: string;
	azureEndpoint?: string;
	sshKey?: string;
	knownHosts?: string;
	trustHostKey?: boolean;
	latest?: boolean;
	/** `backup create`: an incremental backup, against --base or (default) --since-last. */
	incremental?: boolean;
	sinceLast?: boolean;
	base?: string;
	report?: string;
	history?: boolean;
	/** `backup prune`: retention counts (a number or `unlimited`) and a duration (`30d`). */
	keepLast?: string;
	keepHourly?: string;
	keepDaily?: string;
	keepWeekly?: string;
	keepMonthly?: string;
	keepYearly?: string;
	keepWithin?: string;
	/** `schedule add`: when (cron, optional seconds), in which time zone, and who hears of failures. */
	cron?: string;
	tz?: string;
	webhook?: string;
	/** `schedule add`: every Nth run of an incremental schedule is a full backup. */
	fullEvery?: string;
	/** `schedule install`: print a systemd unit (`--cron`, empty, prints a crontab line). */
	systemd?: boolean;
	/** `serve`: where to listen, who may call, over what. */
	host?: string;
	port?: string;
	tokenFile?: string;
	tlsCert?: string;
	tlsKey?: string;
	insecureHttp?: boolean;
	uploadLimitMb?: string;
	requestTimeoutS?: string;
	help?: boolean;
	version?: boolean;
};

export type CommandContext = {
	flags: Flags;
	/** Positional arguments after the command words. */
	args: string[];
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
	env: NodeJS.ProcessEnv;
	signal: AbortSignal;
};

export function resolveDataDir(context: CommandContext): string {
	const dir = context.flags.dataDir ?? context.env['LIFEBOAT_DATA_DIR'];
	if (!dir) throw new LifeboatError('usage', 'No gateway given: pass --data-dir DIR or set LIFEBOAT_DATA_DIR');
	return path.resolve(dir);
}

/**
 * The data dir of a command that reads or changes an existing gateway (the quarantine commands):
 * a folder that is not a gateway is refused (exit 3) before anything is read or written there.
 */
export function resolveGatewayDir(context: CommandContext): string {
	const dataDir = resolveDataDir(context);
	openGateway(dataDir, {readonly: true}).close();
	return dataDir;
}

export function splitList(value: string | undefined): string[] | undefined {
	if (value === undefined) return undefined;
	return value
		.split(',')
		.map(part => part.trim())
		.filter(Boolean);
}

/** Every --json answer is one object with `ok` (never a bare array), so scripts can test `.ok` first. */
export function writeJson<T extends {ok: boolean}>(context: CommandContext, value: T): void {
	// Values from archives and gateways can hold C1 controls or bidi overrides: escaped, same JSON.
	context.stdout.write(terminalSafeJson(value, 2) + '\n');
}

/**
 * Lines for people: names, paths and errors in them come from gateways, archives and servers, so each
 * line is shown rather than obeyed (terminalSafe; idempotent, so text escaped earlier stays the same).
 */
export function writeLine(context: CommandContext, line = ''): void {
	context.stdout.write(safeLines(line) + '\n');
}

/** `lifeboat: …` on stderr, escaped as writeLine's lines are. */
export function warn(context: Pick<CommandContext, 'stderr'>, text: string): void {
	context.stderr.write(`lifeboat: ${safeLines(text)}\n`);
}

function safeLines(text: string): string {
	return text.includes('\n') ? text.split('\n').map(terminalSafe).join('\n') : terminalSafe(text);
}

/** Progress goes to stderr and only to a terminal, so pipes and --json stay clean. */
export function progressLine(context: CommandContext, text: string): void {
	const stream = context.stderr as NodeJS.WriteStream;
	if (!stream.isTTY || context.flags.json) return;
	stream.write(`\r\u001B[2K${text.slice(0, Math.max(20, (stream.columns ?? 80) - 1))}`);
}

export function clearProgress(context: CommandContext): void {
	const stream = context.stderr as NodeJS.WriteStream;
	if (stream.isTTY && !context.flags.json) stream.write('\r\u001B[2K');
}
