import {describe, expect, it} from 'vitest';
import {longestFirst, withoutServerPathsIn} from '../source/server/http-errors.js';

const folders = longestFirst([
	['/tmp', '<scratch>'],
	['/tmp/run/gateway', '<gateway>'],
	['/srv/backups', '<destination>'],
]);

describe('answers name the server\'s folders by label', () => {
	it('replaces a whole path in a folder, longest folder first, anywhere in the answer', () => {
		const answer = {
			path: '/tmp/run/gateway/quarantine/r1',
			plan: {backup: {source: {hostname: 'vm', dataDir: '/tmp/run/gateway'}}},
			chain: [{location: '/tmp/lifeboat-serve-x/upload'}, {location: '/srv/backups'}],
			count: 3,
			ok: true,
			none: null,
		};
		expect(withoutServerPathsIn(answer, folders)).toEqual({
			path: '<gateway>/quarantine/r1',
			plan: {backup: {source: {hostname: 'vm', dataDir: '<gateway>'}}},
			chain: [{location: '<scratch>/lifeboat-serve-x/upload'}, {location: '<destination>'}],
			count: 3,
			ok: true,
			none: null,
		});
	});

	it('keeps data that only contains a folder\'s text: relative paths, other hosts\' folders, sentences', () => {
		const data = ['agents/a1/workspace/tmp/notes.md', '/tmpdata/gw', '/tmpl.txt', 'see /tmp/x', '/srv/backups-old/x.zip', 'tmp'];
		expect(withoutServerPathsIn({conflictIds: data}, folders)).toEqual({conflictIds: data});
	});
});
