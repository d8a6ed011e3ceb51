/**
 * Items grouped by a key: groups in the order their key first comes, each group's items in
 * input order. `valueOf` picks what a group holds (the item itself by default).
 */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T, index: number) => K): Map<K, T[]>;
export function groupBy<T, K, V>(items: Iterable<T>, keyOf: (item: T, index: number) => K, valueOf: (item: T, index: number) => V): Map<K, V[]>;
export function groupBy<T, K, V>(items: Iterable<T>, keyOf: (item: T, index: number) => K, valueOf?: (item: T, index: number) => V): Map<K, Array<T | V>> {
	const out = new Map<K, Array<T | V>>();
	let index = 0;
	for (const item of items) {
		const key = keyOf(item, index);
		const value = valueOf ? valueOf(item, index) : item;
		const group = out.get(key);
		if (group) group.push(value);
		else out.set(key, [value]);
		index++;
	}
	return out;
}
