import crypto from 'node:crypto';
import {afterAll, beforeAll} from 'vitest';
import {startAzurite, type AzuriteServer} from '../servers/azurite-server.js';
import {describeRemoteRoundTrip} from './remote-roundtrip.js';

let server: AzuriteServer;
beforeAll(async () => {
	server = await startAzurite({containers: ['lifeboat-rt']});
});
afterAll(async () => server?.stop());

describeRemoteRoundTrip('azblob', () => ({
	freshUrl: () => `azblob://devstoreaccount1/lifeboat-rt/gw-${crypto.randomBytes(3).toString('hex')}/`,
	env: () => server.env,
}));
