import path from 'node:path';
import {tempDir} from '../helpers/temp-dir.js';
import {describeRemoteRoundTrip} from './remote-roundtrip.js';

// The same CLI round trip the remote kinds run, on a local folder: one behaviour everywhere.
describeRemoteRoundTrip('local folder', () => ({
	freshUrl: () => `${path.join(tempDir('lifeboat-local-rt-'), 'backups')}/`,
	env: () => ({}),
	missingCode: 2,
}));
