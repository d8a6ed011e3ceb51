import crypto from 'node:crypto';
import {afterAll, beforeAll} from 'vitest';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import {describeRemoteRoundTrip} from './remote-roundtrip.js';

let server: SshdServer;
beforeAll(async () => {
	server = await startSshd();
});
afterAll(async () => server?.stop());

describeRemoteRoundTrip('sftp', () => ({
	freshUrl: () => `sftp://${server.user}@127.0.0.1:${server.port}${server.root}/gw-${crypto.randomBytes(3).toString('hex')}/`,
	env: () => ({LIFEBOAT_SSH_KEY: server.keyFile, LIFEBOAT_KNOWN_HOSTS: server.knownHostsFile, SSH_AUTH_SOCK: ''}),
}));
