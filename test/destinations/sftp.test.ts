import {afterAll, beforeAll} from 'vitest';
import {openSftpDestination, type SftpOptions} from '../../source/core/destinations/sftp.js';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import {describeDestination} from './conformance.js';

let sshd: SshdServer;
let folders = 0;

beforeAll(async () => {
	sshd = await startSshd();
});

afterAll(async () => {
	await sshd?.stop();
});

/** A destination on a new folder under the sshd's root (not created yet). */
function fresh(options: SftpOptions = {}, folder = `case-${++folders}`) {
	return openSftpDestination({user: sshd.user, host: sshd.host, port: sshd.port, path: `${sshd.root}/${folder}/`}, {keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, env: {}, ...options});
}

describeDestination('sftp', () => ({open: async () => fresh()}));
