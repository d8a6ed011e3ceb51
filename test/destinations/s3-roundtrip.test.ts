import crypto from 'node:crypto';
import {afterAll, beforeAll} from 'vitest';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {describeRemoteRoundTrip} from './remote-roundtrip.js';

let server: S3Server;
beforeAll(async () => {
	server = await startS3Server({buckets: ['lifeboat-rt']});
});
afterAll(async () => server?.stop());

describeRemoteRoundTrip('s3', () => ({
	freshUrl: () => `s3://lifeboat-rt/gw-${crypto.randomBytes(3).toString('hex')}/daily/`,
	env: () => server.env,
}));
