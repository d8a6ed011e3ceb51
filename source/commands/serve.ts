import fs from 'node:fs';
import net from 'node:net';
import {LifeboatError} from '../core/errors.js';
import {isUrl, parseLocation} from '../core/destinations/location.js';
import {openGateway} from '../core/store/gateway-store.js';
import {buildServer} from '../server/app.js';
import {loadTokens} from '../server/tokens.js';
import {defaultBackupDir, destinationOptions, resolveDataDir, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat serve --data-dir DIR [options]

Serves the gateway's backups over HTTP (JSON), per tenant: the agentic framework's routes
(POST /backup/export, GET /backup/list, GET /backup/download/NAME, DELETE /backup/delete/NAME,
POST /backup/import) and ATLAS's (POST /backups/export, POST /backups/import), plus
GET /healthz and GET /openapi.json. The routes call the same engine as the CLI.

Options
  --data-dir DIR        Gateway data directory (env LIFEBOAT_DATA_DIR)
  --dest DIR|URL|NAME   Where exports go and what list/download/delete see (default
                        LIFEBOAT_BACKUP_DIR or ~/lifeboat-backups)
  --host H              Address to listen on (default 127.0.0.1); any other than loopback
                        needs --tls-cert/--tls-key, or --insecure-http to accept plain HTTP
  --port N              Port (default 8000; 0 picks a free one, printed on the startup line)
  --token-file F        API tokens, one a line: TOKEN [tenants=ID|SLUG,...] [read-only]
                        (# comments; at least 16 characters; the file must be chmod 600).
                        Without it, env LIFEBOAT_API_TOKEN is one full-access token; with
                        neither, serve refuses to start
  --tls-cert FILE       PEM certificate (with --tls-key): serve HTTPS
  --tls-key FILE        PEM private key
  --insecure-http       Allow plain HTTP on a non-loopback --host (behind a TLS proxy)
  --upload-limit-mb N   Largest import upload, in MiB (default 100); a base64 bundle's JSON
                        body may be 4/3 of it
  --request-timeout-s N Time a client has to send a whole request, its upload included
                        (default 300); a slower one is cut off (408), so a stalled upload
                        never holds its tenant's import lock

Requests send Authorization: Bearer TOKEN and X-Tenant-Id (tenant id or slug; without it
401); X-User-Id is recorded in the access log. A token limited to tenants gets 403 for
others; a read-only token lists and downloads only (403 on export, import, delete).
Errors are JSON {error, detail}; one JSON access-log line per request goes to stderr
(method, route, status, ms, tenant: no bodies, no tokens). SIGTERM or SIGINT stops taking
requests, lets running ones finish, and exits 0. The readme has curl examples of every route.
`;

/** How long running requests get to finish after SIGTERM/SIGINT. */
const SHUTDOWN_GRACE_MS = 30_000;

function isLoopback(host: string): boolean {
	if (host === 'localhost') return true;
	if (net.isIPv4(host)) return host.startsWith('127.');
	return host === '::1' || host === '[::1]';
}

function numberFlag(value: string | undefined, fallback: number, flag: string, max: number): number {
	if (value === undefined) return fallback;
	if (!/^\d+$/.test(value) || Number(value) > max) throw new LifeboatError('usage', `${flag} must be a whole number from 0 to ${max}`);
	return Number(value);
}

function readTls(context: CommandContext): {cert: Buffer; key: Buffer} | undefined {
	const {tlsCert, tlsKey} = context.flags;
	if (!tlsCert && !tlsKey) return undefined;
	if (!tlsCert || !tlsKey) throw new LifeboatError('usage', '--tls-cert and --tls-key go together');
	try {
		return {cert: fs.readFileSync(tlsCert), key: fs.readFileSync(tlsKey)};
	} catch (error) {
		throw new LifeboatError('usage', `Cannot read the TLS files: ${(error as Error).message}`);
	}
}

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const dataDir = resolveDataDir(context);
	openGateway(dataDir, {readonly: true}).close();
	const host = flags.host ?? '127.0.0.1';
	const port = numberFlag(flags.port, 8000, '--port', 65_535);
	const uploadMb = numberFlag(flags.uploadLimitMb, 100, '--upload-limit-mb', 1024 * 1024);
	if (uploadMb === 0) throw new LifeboatError('usage', '--upload-limit-mb must be at least 1');
	const requestTimeoutS = numberFlag(flags.requestTimeoutS, 300, '--request-timeout-s', 7 * 24 * 3600);
	if (requestTimeoutS === 0) throw new LifeboatError('usage', '--request-timeout-s must be at least 1');
	const tokens = loadTokens(flags.tokenFile, context.env);
	const https = readTls(context);
	if (!isLoopback(host) && !https && !flags.insecureHttp) {
		throw new LifeboatError('usage', `--host ${host} is reachable from other machines: give --tls-cert and --tls-key, or --insecure-http (behind a TLS proxy)`);
	}
	const dest = flags.dest ?? defaultBackupDir(context.env);
	// Checked now, as every command checks it (a URL holding a password or a SAS query is refused,
	// masked): the listening line below names the destination, and a service's output is kept.
	if (isUrl(dest)) parseLocation(dest);
	const work = new AbortController();
	const app = await buildServer(
		{dataDir, dest, openOptions: destinationOptions(context), tokens, uploadLimit: uploadMb * 1024 * 1024, signal: work.signal, log: line => context.stderr.write(JSON.stringify(line) + '\n')},
		{https, requestTimeoutMs: requestTimeoutS * 1000},
	);
	// Shutdown lets running requests finish; a backup or restore still running after the grace
	// period is stopped cleanly (its partial files removed), and a request still arriving then
	// (a stalled upload) is cut off (app.ts). A second signal exits at once (cli.tsx).
	context.signal.addEventListener('abort', () => setTimeout(() => work.abort(context.signal.reason), SHUTDOWN_GRACE_MS).unref(), {once: true});
	const stopped = new Promise<void>(resolve => context.signal.addEventListener('abort', () => resolve(), {once: true}));
	try {
		await app.listen({host, port});
	} catch (error) {
		throw new LifeboatError('usage', `Cannot listen on ${host}:${port}: ${(error as Error).message}`);
	}
	const address = app.server.address() as net.AddressInfo;
	const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
	writeLine(context, `lifeboat serve: listening on ${https ? 'https' : 'http'}://${shown}:${address.port} (gateway ${dataDir}, destination ${dest}, ${tokens.length} token${tokens.length === 1 ? '' : 's'})`);
	await stopped;
	await app.close();
	writeLine(context, 'lifeboat serve: stopped');
	return 0;
}
