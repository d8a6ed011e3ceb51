/**
 * A real Azure Blob service for tests: azurite-blob 3.35.0 (the last release that runs on Node 20)
 * from node_modules, as a child process on 127.0.0.1, in memory, on a port it picks itself.
 *
 *   const azurite = await startAzurite({containers: ['backups']});
 *   openAzureDestination({account: AZURITE_ACCOUNT, container: 'backups', prefix: 'p/'}, {env: azurite.env});
 *   await azurite.stop();
 */
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {BlobServiceClient, StorageSharedKeyCredential} from '@azure/storage-blob';

/** Azurite's well-known development account and its published key (not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export type AzuriteServer = {
	/** `http://127.0.0.1:PORT/devstoreaccount1` (path-style: the account is the first segment). */
	endpoint: string;
	port: number;
	/** What a destination needs: AZURE_STORAGE_KEY and LIFEBOAT_AZURE_ENDPOINT. */
	env: Record<string, string>;
	/** The same access as one AZURE_STORAGE_CONNECTION_STRING. */
	connectionString: string;
	/** A service client with the dev account's key, for arranging and inspecting tests. */
	service: BlobServiceClient;
	process: ChildProcess;
	/** Kills the server (SIGKILL) without waiting: for tests of a server dying mid-upload. */
	kill(): void;
	stop(): Promise<void>;
};

export type AzuriteOptions = {
	/** Containers to create once the server is up. */
	containers?: string[];
	/** Cap on azurite's in-memory extent storage, MB (default 256). */
	memoryLimitMb?: number;
};

const LISTENING = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/;

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
	const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
	const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-azurite-'));
	const args = [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--extentMemoryLimit', String(options.memoryLimitMb ?? 256), '--disableTelemetry', '--skipApiVersionCheck', '--silent'];
	const child = spawn(process.execPath, args, {cwd, stdio: ['ignore', 'pipe', 'pipe']});
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	let output = '';
	const port = await new Promise<number>((resolve, reject) => {
		const onData = (data: Buffer) => {
			output += data.toString();
			const match = LISTENING.exec(output);
			if (match) resolve(Number(match[1]));
		};
		child.stdout!.on('data', onData);
		child.stderr!.on('data', onData);
		child.once('error', reject);
		child.once('exit', code => reject(new Error(`azurite exited (${code}) before listening: ${output.trim()}`)));
	});
	const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
	const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), {retryOptions: {maxTries: 3, retryDelayInMs: 100}});
	await waitUntilReady(service);
	for (const name of options.containers ?? []) await service.getContainerClient(name).createIfNotExists();
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
		await exited;
		await fs.rm(cwd, {recursive: true, force: true});
	};
	return {
		endpoint,
		port,
		env: {AZURE_STORAGE_KEY: AZURITE_KEY, LIFEBOAT_AZURE_ENDPOINT: endpoint},
		connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
		service,
		process: child,
		kill: () => child.kill('SIGKILL'),
		stop,
	};
}

/** Alias in the `start<Kind>Server` shape the other test servers use. */
export const startAzuriteServer = startAzurite;

/** Polls the service until it answers a request (listening is not always serving yet). */
async function waitUntilReady(service: BlobServiceClient): Promise<void> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		try {
			await service.getProperties();
			return;
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise(resolve => setTimeout(resolve, 50));
		}
	}
}
