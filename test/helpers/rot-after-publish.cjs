// Preloaded into a CLI run (NODE_OPTIONS=--require …): once a file whose name ends in
// LIFEBOAT_TEST_ROT is published (renamed or linked into place), one byte in its middle is
// flipped, as a bad disk or another writer would between a backup's write and its verify.
const fs = require('node:fs');
const suffix = process.env.LIFEBOAT_TEST_ROT;
const rot = target => {
	if (!suffix || !String(target).endsWith(suffix) || !fs.statSync(target).isFile()) return;
	const bytes = fs.readFileSync(target);
	bytes[bytes.length >> 1] ^= 0xff;
	fs.writeFileSync(target, bytes);
};
const renameSync = fs.renameSync;
fs.renameSync = function (from, to) {
	const done = renameSync.apply(this, arguments);
	rot(to);
	return done;
};
const rename = fs.promises.rename;
fs.promises.rename = async function (from, to) {
	const done = await rename.apply(this, arguments);
	rot(to);
	return done;
};
const linkSync = fs.linkSync;
fs.linkSync = function (from, to) {
	const done = linkSync.apply(this, arguments);
	rot(to);
	return done;
};
