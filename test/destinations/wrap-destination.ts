import type {Destination} from '../../source/core/destinations/destination.js';

/**
 * A real destination with some of its methods wrapped (to count bytes, or to make one read fail):
 * every other call goes to the destination itself. Backends are classes, so `{...destination}`
 * would lose their methods.
 */
export function wrapDestination(destination: Destination, overrides: Partial<Pick<Destination, 'readRange' | 'read'>>): Destination {
	return {
		kind: destination.kind,
		label: destination.label,
		locate: name => destination.locate(name),
		put: (name, source, options) => destination.put(name, source, options),
		list: options => destination.list(options),
		stat: (name, options) => destination.stat(name, options),
		readRange: overrides.readRange ?? ((name, offset, length, options) => destination.readRange(name, offset, length, options)),
		read: overrides.read ?? ((name, options) => destination.read(name, options)),
		delete: (name, options) => destination.delete(name, options),
		cleanup: () => destination.cleanup(),
		close: () => destination.close(),
	};
}
