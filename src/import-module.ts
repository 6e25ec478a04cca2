// import() of a file known only at run time (an ES-module tasks bundle, a JS config file).
// runner's own code is compiled through vm.Script by the boot loader (for V8's code cache),
// where a bare import() has no loader to call: the boot loader, an
// ordinary module, hands in one that has. Set once at start, before anything is loaded.
type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

export function useImporter(fn: Importer): void {
  importer = fn;
}

export function importModule(specifier: string): Promise<unknown> {
  return importer(specifier);
}
