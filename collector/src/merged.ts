// `{ ...base, extra }` for the paths every event takes. On Node 20's V8 (11.3) an object literal
// that starts with a spread and then adds a key gets a hidden class (a "map") of its own on every
// run: about 2.5 µs to build instead of 0.05, a map's memory each time, and every later read of
// the object misses the inline caches, which never see one map twice. Newer V8 (Node 26) reuses
// the map. Object.assign onto a fresh literal adds the keys through the transitions V8 keeps, so
// its objects share maps (docs/architecture.md, "Object literals on the hot path");
// e2e/hidden-classes.test.ts checks that ingest makes no map per event.

/**
 * What `{ ...base, ...extra }` makes: the own enumerable keys of both, in order, the later value
 * winning. A `__proto__` key (JSON.parse makes one from client text) stays a key, as with spread:
 * Object.assign would set the prototype through it, so such objects take the spread.
 */
export function merged<A extends object, B extends object>(base: A, extra: B): Omit<A, keyof B> & B {
  if (Object.hasOwn(base, "__proto__") || Object.hasOwn(extra, "__proto__")) return { ...base, ...extra };
  return Object.assign({}, base, extra);
}
